/*
 * A source plugin in plain C99, written against <ingestd/abi.h> alone: it
 * proves the ABI needs no C++ and shows the Arrow C Data Interface by hand.
 *
 * Stream "numbers": n (int64, 1..rows) and label (utf8, "<prefix><n>", NULL
 * when n is a multiple of 3). Snapshot, or incremental-appends on n with the
 * checkpoint {"n": last}.
 */
#include <ingestd/abi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ingestd_host_api* host;

/* ---- options ---------------------------------------------------------- */
static const ingestd_option opt_rows = {sizeof(ingestd_option), "rows", INGESTD_OPTION_INT, 0, 0, "10", NULL, 0,
                                        "How many numbers to count"};
static const ingestd_option opt_prefix = {sizeof(ingestd_option), "label_prefix", INGESTD_OPTION_STRING, 0, 0, "n",
                                          NULL, 0, "Text before each number in the label column"};
static const ingestd_option* const options[] = {&opt_rows, &opt_prefix};

/* Finds "key": in a flat JSON object written by the host; NULL if absent. */
static const char* json_value(const char* json, const char* key) {
  char pattern[64];
  const char* at;
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  at = json ? strstr(json, pattern) : NULL;
  return at ? at + strlen(pattern) : NULL;
}

/* ---- errors ------------------------------------------------------------ */
static void release_error(ingestd_error* e) {
  free(e->message);
  e->message = NULL;
  e->release = NULL;
}

static ingestd_status fail(ingestd_error* e, ingestd_status status, const char* message) {
  if (e && INGESTD_HAS_MEMBER(e, ingestd_error, release)) {
    e->retry_class = INGESTD_RETRY_PERMANENT;
    e->message = (char*)malloc(strlen(message) + 1);
    if (e->message) strcpy(e->message, message);
    e->release = release_error;
  }
  return status;
}

/* ---- schema ------------------------------------------------------------ */
static void release_schema(struct ArrowSchema* s) {
  int64_t i;
  for (i = 0; i < s->n_children; ++i) {
    if (s->children[i]->release) s->children[i]->release(s->children[i]);
    free(s->children[i]);
  }
  free(s->children);
  s->release = NULL;
}

static void release_child_schema(struct ArrowSchema* s) { s->release = NULL; }

static void make_schema(struct ArrowSchema* out) {
  static const char* formats[2] = {"l", "u"};
  static const char* names[2] = {"n", "label"};
  int i;
  memset(out, 0, sizeof *out);
  out->format = "+s";
  out->name = "";
  out->n_children = 2;
  out->children = (struct ArrowSchema**)calloc(2, sizeof(struct ArrowSchema*));
  for (i = 0; i < 2; ++i) {
    struct ArrowSchema* c = (struct ArrowSchema*)calloc(1, sizeof(struct ArrowSchema));
    c->format = formats[i];
    c->name = names[i];
    c->flags = i == 1 ? ARROW_FLAG_NULLABLE : 0;
    c->release = release_child_schema;
    out->children[i] = c;
  }
  out->release = release_schema;
}

/* ---- arrays ------------------------------------------------------------ */
static void release_child_array(struct ArrowArray* a) {
  int64_t i;
  for (i = 0; i < a->n_buffers; ++i) free((void*)a->buffers[i]);
  free((void*)a->buffers);
  a->release = NULL;
}

static void release_array(struct ArrowArray* a) {
  int64_t i;
  for (i = 0; i < a->n_children; ++i) {
    if (a->children[i]->release) a->children[i]->release(a->children[i]);
    free(a->children[i]);
  }
  free(a->children);
  free((void*)a->buffers);
  a->release = NULL;
}

/* Numbers first..last as a struct array of (n, label). */
static void make_batch(int64_t first, int64_t last, const char* prefix, struct ArrowArray* out) {
  int64_t rows = last - first + 1, i, nulls = 0;
  size_t data_size = 0, cap = (size_t)rows * (strlen(prefix) + 21) + 1;
  struct ArrowArray* n = (struct ArrowArray*)calloc(1, sizeof *n);
  struct ArrowArray* label = (struct ArrowArray*)calloc(1, sizeof *label);
  int64_t* values = (int64_t*)malloc((size_t)rows * sizeof(int64_t));
  uint8_t* validity = (uint8_t*)calloc((size_t)(rows + 7) / 8, 1);
  int32_t* offsets = (int32_t*)malloc((size_t)(rows + 1) * sizeof(int32_t));
  char* data = (char*)malloc(cap);
  offsets[0] = 0;
  for (i = 0; i < rows; ++i) {
    int64_t v = first + i;
    values[i] = v;
    if (v % 3 == 0) {
      ++nulls;
    } else {
      validity[i / 8] |= (uint8_t)(1u << (i % 8));
      data_size += (size_t)sprintf(data + data_size, "%s%lld", prefix, (long long)v);
    }
    offsets[i + 1] = (int32_t)data_size;
  }

  n->length = rows;
  n->n_buffers = 2;
  n->buffers = (const void**)calloc(2, sizeof(void*));
  n->buffers[1] = values;
  n->release = release_child_array;

  label->length = rows;
  label->null_count = nulls;
  label->n_buffers = 3;
  label->buffers = (const void**)calloc(3, sizeof(void*));
  label->buffers[0] = validity;
  label->buffers[1] = offsets;
  label->buffers[2] = data;
  label->release = release_child_array;

  memset(out, 0, sizeof *out);
  out->length = rows;
  out->n_buffers = 1;
  out->buffers = (const void**)calloc(1, sizeof(void*));
  out->n_children = 2;
  out->children = (struct ArrowArray**)calloc(2, sizeof(struct ArrowArray*));
  out->children[0] = n;
  out->children[1] = label;
  out->release = release_array;
}

/* ---- instance and stream ---------------------------------------------- */
typedef struct {
  int64_t rows;
  char prefix[32];
  ingestd_host_context* context;
} counter;

typedef struct {
  counter* owner;
  int64_t next;
  int64_t batch_rows;
  int incremental;
  char checkpoint[48];
} counter_stream;

static ingestd_status create(const ingestd_create_args* args, ingestd_instance** out, ingestd_error* e) {
  counter* c = (counter*)calloc(1, sizeof *c);
  const char* rows = json_value(args->config_json, "rows");
  const char* prefix = json_value(args->config_json, "label_prefix");
  c->rows = rows ? strtoll(rows, NULL, 10) : 10;
  if (c->rows < 0) {
    free(c);
    return fail(e, INGESTD_ERROR_CONFIG, "rows must not be negative");
  }
  if (prefix && *prefix == '"') {
    size_t len = strcspn(prefix + 1, "\"");
    if (len >= sizeof c->prefix) len = sizeof c->prefix - 1;
    memcpy(c->prefix, prefix + 1, len);
  }
  c->context = args->context;
  *out = (ingestd_instance*)c;
  return INGESTD_OK;
}

static void destroy(ingestd_instance* i) { free(i); }

static ingestd_status check(ingestd_instance* i, ingestd_error* e) {
  (void)i;
  (void)e;
  if (host && host->log) host->log(((counter*)i)->context, INGESTD_LOG_INFO, "the C counter is ready");
  return INGESTD_OK;
}

typedef struct {
  struct ArrowSchema schema;
  ingestd_stream_info info;
  const ingestd_stream_info* list[1];
} catalog_data;

static void release_catalog(ingestd_catalog* c) {
  catalog_data* d = (catalog_data*)c->private_data;
  d->schema.release(&d->schema);
  free(d);
  c->release = NULL;
}

static const char* const primary_key[] = {"n"};

static ingestd_status discover(ingestd_instance* i, ingestd_catalog* out, ingestd_error* e) {
  catalog_data* d = (catalog_data*)calloc(1, sizeof *d);
  (void)i;
  (void)e;
  make_schema(&d->schema);
  d->info.struct_size = sizeof d->info;
  d->info.name = "numbers";
  d->info.schema = &d->schema;
  d->info.primary_key = primary_key;
  d->info.primary_key_count = 1;
  d->info.cursor_candidates = primary_key;
  d->info.cursor_candidate_count = 1;
  d->list[0] = &d->info;
  out->stream_count = 1;
  out->streams = d->list;
  out->release = release_catalog;
  out->private_data = d;
  return INGESTD_OK;
}

static ingestd_status open_stream(ingestd_instance* i, const ingestd_stream_request* r, ingestd_stream** out,
                                  struct ArrowSchema* schema, ingestd_error* e) {
  counter_stream* s;
  if (strcmp(r->stream, "numbers") != 0) return fail(e, INGESTD_ERROR_CONFIG, "the only stream is 'numbers'");
  s = (counter_stream*)calloc(1, sizeof *s);
  s->owner = (counter*)i;
  s->next = 1;
  s->batch_rows = r->batch_rows > 0 ? r->batch_rows : 1000;
  s->incremental = r->extract_mode == INGESTD_EXTRACT_INCREMENTAL_APPENDS;
  if (s->incremental && r->state) {
    char state[64] = {0};
    const char* n;
    memcpy(state, r->state, r->state_size < 63 ? r->state_size : 63);
    n = json_value(state, "n");
    if (n) s->next = strtoll(n, NULL, 10) + 1;
  }
  make_schema(schema);
  *out = (ingestd_stream*)s;
  return INGESTD_OK;
}

static ingestd_status next_batch(ingestd_stream* stream, ingestd_batch* out, ingestd_error* e) {
  counter_stream* s = (counter_stream*)stream;
  int64_t last;
  (void)e;
  if (s->next > s->owner->rows) return INGESTD_END_OF_STREAM;
  last = s->next + s->batch_rows - 1;
  if (last > s->owner->rows) last = s->owner->rows;
  make_batch(s->next, last, s->owner->prefix, &out->array);
  out->row_count = last - s->next + 1;
  if (s->incremental) {
    /* Lives in the stream until the next call: no release needed. */
    out->checkpoint_size = (uint64_t)sprintf(s->checkpoint, "{\"n\":%lld}", (long long)last);
    out->checkpoint = (const uint8_t*)s->checkpoint;
  }
  s->next = last + 1;
  return INGESTD_OK;
}

static void close_stream(ingestd_stream* s) { free(s); }

/* Also built against the ABI 1.0 header (tests/abi/abi-v1.0) under another
   name, to prove that a plugin built then still loads. */
#ifndef C_COUNTER_NAME
#define C_COUNTER_NAME "c_counter"
#endif

static const ingestd_descriptor descriptor = {
    sizeof(ingestd_descriptor), C_COUNTER_NAME, "1.0.0", INGESTD_KIND_SOURCE, "Counts, in plain C",
    "https://example.invalid/c_counter", INGESTD_EXTRACT_SNAPSHOT | INGESTD_EXTRACT_INCREMENTAL_APPENDS, 0,
    options, 2, 0,
#if INGESTD_ABI_VERSION_MINOR >= 2
    0 /* source_settings: no `where` */
#endif
};

static ingestd_plugin plugin;

INGESTD_EXPORT ingestd_status ingestd_plugin_entry(uint32_t host_major, uint32_t host_minor,
                                                   const ingestd_host_api* host_api, const ingestd_plugin** out) {
  (void)host_minor;
  plugin.struct_size = sizeof plugin;
  plugin.abi_major = INGESTD_ABI_VERSION_MAJOR;
  plugin.abi_minor = INGESTD_ABI_VERSION_MINOR;
  plugin.descriptor = &descriptor;
  plugin.create = create;
  plugin.destroy = destroy;
  plugin.check = check;
  plugin.discover = discover;
  plugin.open_stream = open_stream;
  plugin.next_batch = next_batch;
  plugin.close_stream = close_stream;
  *out = &plugin;
  if (host_major != INGESTD_ABI_VERSION_MAJOR) return INGESTD_ERROR_VERSION_MISMATCH;
  host = host_api;
  return INGESTD_OK;
}
