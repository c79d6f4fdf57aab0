/*
 * ingestd plugin ABI, version 1.
 *
 * A plugin is a shared object that exports exactly one function,
 * `ingestd_plugin_entry` (see the end of this file). The host calls it with its
 * ABI version and a host API table; the plugin answers with its plugin table.
 * Everything else crosses the boundary through the function pointers of those
 * two tables.
 *
 * Rules that hold for every declaration below:
 *  - Pure C99: fixed-width integers, no bool, enums or bitfields in structs.
 *    Enumerations are int32_t/uint32_t with #define constants.
 *  - Every struct begins with `uint32_t struct_size`, the sizeof the writer of
 *    the struct knew. A reader uses min(struct_size, sizeof as it knows it) and
 *    treats trailing members it did not receive as absent (zero/NULL).
 *    Minor versions only append members; majors must match. A member added
 *    in a later minor says so with "\since 1.N"; a reader checks it with
 *    INGESTD_HAS_MEMBER before use.
 *  - Strings are UTF-8 and NUL-terminated. They are borrowed: valid until the
 *    call returns, unless a member's comment says how long they live.
 *  - No C++ exception, Rust panic or longjmp crosses the boundary. A failing
 *    call returns a non-zero ingestd_status and fills the ingestd_error the
 *    host passed in.
 *  - The host never unloads a plugin while anything it produced (batch, schema,
 *    catalog, error) is alive; in practice it never unloads during a process.
 *
 * Threads and states: every function documents which thread may call it and
 * in which state of its object. "control thread" is the host thread that
 * created the instance; "stream thread" and "table thread" are the threads the
 * host dedicates to one open stream or table. Calls on one object never overlap
 * unless a comment says the function is callable from any thread.
 */
#ifndef INGESTD_ABI_H
#define INGESTD_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INGESTD_ABI_VERSION_MAJOR 1u
#define INGESTD_ABI_VERSION_MINOR 5u

/* Non-zero when the struct at `ptr`, as its writer sized it, holds `member`. */
#define INGESTD_HAS_MEMBER(ptr, type, member) \
  ((ptr)->struct_size >= offsetof(type, member) + sizeof(((type*)0)->member))

/* ------------------------------------------------------------------------
 * Apache Arrow C Data Interface, laid out exactly as the Arrow specification
 * defines it, under the specification's guard so that another copy of these
 * definitions (from Arrow, nanoarrow, DuckDB...) can coexist.
 * ------------------------------------------------------------------------ */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;
  void (*release)(struct ArrowSchema*);
  void* private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;
  void (*release)(struct ArrowArray*);
  void* private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

/* ------------------------------------------------------------------------
 * Status codes and errors
 * ------------------------------------------------------------------------ */
typedef int32_t ingestd_status;

#define INGESTD_OK 0
/* next_batch only: the stream has no more batches. Not an error. */
#define INGESTD_END_OF_STREAM 1
/* The host called a function with arguments that break this contract. */
#define INGESTD_ERROR_INVALID_ARGUMENT 2
/* The configuration is wrong (bad option value, missing table, bad credentials). */
#define INGESTD_ERROR_CONFIG 3
/* Input/output failed: file, network, server. Often transient. */
#define INGESTD_ERROR_IO 4
/* A record is malformed; the message names where (file:line, offset, key). */
#define INGESTD_ERROR_DATA 5
/* The data does not fit the destination's schema and the policy forbids changing it. */
#define INGESTD_ERROR_SCHEMA 6
/* The plugin does not implement what was asked (a mode, a kind, an extension). */
#define INGESTD_ERROR_NOT_SUPPORTED 7
/* The call stopped because cancel() was called or the host is cancelling. */
#define INGESTD_ERROR_CANCELLED 8
/* entry only: the plugin does not speak the host's ABI major version. */
#define INGESTD_ERROR_VERSION_MISMATCH 9
/* A bug or an unexpected condition inside the plugin (for example a caught exception). */
#define INGESTD_ERROR_INTERNAL 10

/* What retrying the failed operation could achieve. */
#define INGESTD_RETRY_PERMANENT 0 /* retrying will fail the same way */
#define INGESTD_RETRY_TRANSIENT 1 /* may succeed later (after retry_after_ms if > 0) */
#define INGESTD_RETRY_CONFIG 2    /* fails until the user changes the configuration */

/*
 * Filled by a plugin when a call fails. The host allocates the struct, zeroes it
 * and sets struct_size; the plugin writes the members (only those that fit in
 * struct_size) and a release callback that frees whatever it allocated. The host
 * calls release (when non-NULL) once it has read the error, on any thread.
 */
typedef struct ingestd_error {
  uint32_t struct_size;
  int32_t retry_class;    /* INGESTD_RETRY_* */
  int64_t retry_after_ms; /* > 0: wait at least this long before retrying */
  char* message;          /* human-readable; never contains secrets */
  void (*release)(struct ingestd_error* error);
  void* private_data;
} ingestd_error;

/* ------------------------------------------------------------------------
 * Host API: handed to the plugin at entry, valid until the process ends.
 * ------------------------------------------------------------------------ */

/* Opaque to plugins. A context names what a call is about (an instance, a
 * stream, a table) so that logs and counters are attributed to it. NULL means
 * the plugin as a whole. */
typedef struct ingestd_host_context ingestd_host_context;

#define INGESTD_LOG_TRACE 0
#define INGESTD_LOG_DEBUG 1
#define INGESTD_LOG_INFO 2
#define INGESTD_LOG_WARN 3
#define INGESTD_LOG_ERROR 4

/* Every function here is callable from any thread at any time. */
typedef struct ingestd_host_api {
  uint32_t struct_size;
  /* Writes one log line. The host redacts configured secrets from it. */
  void (*log)(ingestd_host_context* context, int32_t level, const char* message);
  /* Non-zero when a message at that level would be written: skip formatting otherwise. */
  int32_t (*log_enabled)(ingestd_host_context* context, int32_t level);
  /* Adds delta to a named counter (for example "rows_rejected") of the context. */
  void (*counter_add)(ingestd_host_context* context, const char* name, int64_t delta);
  /* Non-zero once the host is stopping the work the context belongs to. Long
   * loops poll it and return INGESTD_ERROR_CANCELLED. */
  int32_t (*is_cancelled)(ingestd_host_context* context);
  /* A host extension by id with its revision ("ingestd.something/1"), or NULL. */
  const void* (*get_extension)(ingestd_host_context* context, const char* id);
} ingestd_host_api;

/* ------------------------------------------------------------------------
 * Descriptor: what the plugin is and how to configure it. Static data, valid
 * for the life of the process.
 * ------------------------------------------------------------------------ */

/* Kinds (a bit set): what roles a plugin can play. */
#define INGESTD_KIND_SOURCE 1u
#define INGESTD_KIND_DESTINATION 2u
/* Rewrites a stream's batches between its source and its destinations
 * (dropping, renaming, casting, hashing columns, filtering rows). \since 1.5 */
#define INGESTD_KIND_TRANSFORM 4u

/* Extract modes (a bit set). */
#define INGESTD_EXTRACT_SNAPSHOT 1u
#define INGESTD_EXTRACT_INCREMENTAL_APPENDS 2u
#define INGESTD_EXTRACT_INCREMENTAL_UPDATES 4u

/* Load modes (a bit set). */
#define INGESTD_LOAD_APPEND 1u
#define INGESTD_LOAD_REPLACE 2u
#define INGESTD_LOAD_MERGE 4u

/* Keys of the flow settings the host passes in a stream request's and a table
 * request's options_json (the SDK parses them into typed fields), and the
 * default of batch_rows. */
#define INGESTD_SETTING_LOOKBACK_MS "lookback_ms"       /* integer: re-read this far behind a time cursor */
#define INGESTD_SETTING_LOOKBACK "lookback"             /* number: ... behind a numeric cursor */
#define INGESTD_SETTING_START "start"                   /* the cursor value to begin from without state */
#define INGESTD_SETTING_DELETED_COLUMN "deleted_column" /* a boolean column whose true rows are deletes */
#define INGESTD_SETTING_WHERE "where"                   /* a filter (sources with INGESTD_SOURCE_WHERE) */
#define INGESTD_SETTING_SCHEMA_CHANGES "schema_changes" /* "evolve" (default), "freeze" or "discard" */
#define INGESTD_SETTING_HARD_DELETE "hard_delete"       /* boolean: deleted rows are removed, not marked */
#define INGESTD_SETTING_DELETE_STALE "delete_stale"     /* boolean: see ingestd_table_request */
#define INGESTD_SETTING_FLOW "flow"                     /* the flow's name (naming what a source keeps at the source, a replication slot). \since 1.2 */
#define INGESTD_SETTING_FOLLOW "follow"                 /* boolean: a stream that can follow changes (CDC) keeps following instead of ending once caught up (ingestd serve). \since 1.2 */
#define INGESTD_SETTING_CATALOG_ENTRY "catalog_entry"   /* string: the stream's catalog_entry from a discover (possibly of an earlier run); absent when the source gave none. \since 1.4 */
#define INGESTD_DEFAULT_BATCH_ROWS 16384

/* Option types. The host validates flow-file values against them and hands the
 * plugin normalised JSON (see ingestd_create_args.config_json). */
#define INGESTD_OPTION_STRING 0u   /* JSON string */
#define INGESTD_OPTION_INT 1u      /* JSON integer */
#define INGESTD_OPTION_BOOL 2u     /* JSON true/false */
#define INGESTD_OPTION_DOUBLE 3u   /* JSON number */
#define INGESTD_OPTION_SIZE 4u     /* "64MiB", "10MB", 4096 -> JSON integer, bytes */
#define INGESTD_OPTION_DURATION 5u /* "250ms", "30s", "5m", "2h", "1d", 30 (s) -> JSON integer, ms */
#define INGESTD_OPTION_LIST 6u     /* array of strings (a single string is a list of one) */
#define INGESTD_OPTION_ENUM 7u     /* one of enum_values -> JSON string */
#define INGESTD_OPTION_SECRET 8u   /* a string never shown in logs, errors or inspect output */
#define INGESTD_OPTION_JSON 9u     /* any value: tables, arrays, scalars -> JSON as written */

/* Option flags (a bit set). */
#define INGESTD_OPTION_REQUIRED 1u
#define INGESTD_OPTION_SECRET_VALUE 2u /* implied by INGESTD_OPTION_SECRET; usable on JSON too */

typedef struct ingestd_option {
  uint32_t struct_size;
  const char* name;
  uint32_t type;  /* INGESTD_OPTION_STRING ... */
  uint32_t flags; /* INGESTD_OPTION_REQUIRED | INGESTD_OPTION_SECRET_VALUE */
  uint32_t kinds; /* roles the option applies to (INGESTD_KIND_*); 0 = every role */
  /* Default in flow-file form: strings verbatim, numbers in decimal, true/false,
   * sizes and durations with units, lists and JSON as JSON text. NULL: none. */
  const char* default_value;
  const char* const* enum_values; /* INGESTD_OPTION_ENUM only */
  uint32_t enum_value_count;
  const char* description; /* one or two sentences */
} ingestd_option;

typedef struct ingestd_descriptor {
  uint32_t struct_size;
  const char* name;    /* [a-z0-9_-]+, what flow files write as plugin = "..." */
  const char* version; /* the plugin's own version, free form ("1.4.0") */
  uint32_t kinds;      /* INGESTD_KIND_* */
  const char* description; /* one line */
  const char* doc_url;     /* may be NULL */
  uint32_t extract_modes;  /* INGESTD_EXTRACT_*, sources only */
  uint32_t load_modes;     /* INGESTD_LOAD_*, destinations only */
  const ingestd_option* const* options;
  uint32_t option_count;
  /* How many streams (or tables) of one instance may be open at once, each on
   * its own thread. 0 = no limit; 1 = the host serialises them. */
  uint32_t max_concurrent_streams;
  /* Flow settings a source applies (INGESTD_SOURCE_* bits); the host refuses
   * a flow that sets one its source does not list, rather than let it be
   * ignored. Absent (a 1.0 or 1.1 plugin): not checked. \since 1.2 */
  uint32_t source_settings;
} ingestd_descriptor;

/* Source settings (a bit set). */
#define INGESTD_SOURCE_WHERE 1u /* `where`: a filter the source applies where it reads */

/* ------------------------------------------------------------------------
 * Instances, catalogs, streams, tables
 * ------------------------------------------------------------------------ */
typedef struct ingestd_instance ingestd_instance; /* a configured source or destination */
typedef struct ingestd_stream ingestd_stream;     /* one open source stream */
typedef struct ingestd_table ingestd_table;       /* one open destination table */
typedef struct ingestd_transform ingestd_transform; /* one stream's transform \since 1.5 */

typedef struct ingestd_create_args {
  uint32_t struct_size;
  const char* instance_name; /* the flow file's name for it: [sources.NAME] */
  uint32_t role;             /* INGESTD_KIND_SOURCE or INGESTD_KIND_DESTINATION */
  /* A JSON object: the validated options, defaults applied, values normalised
   * as the option types say. Options without a value and without a default are
   * absent. */
  const char* config_json;
  /* Directory of the flow file. Relative paths in options resolve against it. */
  const char* base_dir;
  ingestd_host_context* context; /* for logs and counters of this instance */
} ingestd_create_args;

/* One stream as discovered. */
typedef struct ingestd_stream_info {
  uint32_t struct_size;
  const char* name;                  /* e.g. "public.orders" or a file stem */
  const struct ArrowSchema* schema;  /* a struct schema ("+s"), one child per column */
  const char* const* primary_key;    /* column names, may be empty */
  uint32_t primary_key_count;
  const char* const* cursor_candidates; /* columns usable as incremental cursors */
  uint32_t cursor_candidate_count;
  uint32_t extract_modes; /* modes this stream supports; 0 = the descriptor's */
  /* INGESTD_STREAM_* bits. \since 1.1 */
  uint32_t flags;
  /* What the source needs again to read this stream without discovering
   * anew (its own form of the stream's catalog entry), or NULL. The host
   * keeps the catalog between runs and gives this back to open_stream as
   * the "catalog_entry" stream option. \since 1.4 */
  const char* catalog_entry;
} ingestd_stream_info;

/* Stream flags (a bit set). */
/* Incremental reads need the flow to name a cursor column (one of
 * cursor_candidates); without one the stream cannot be read incrementally. */
#define INGESTD_STREAM_CURSOR_REQUIRED 1u
/* The stream never ends by itself (events arriving, a change log): it runs
 * until the run is stopped, and a stop that delivered everything read is
 * its normal end. */
#define INGESTD_STREAM_CONTINUOUS 2u

/* Produced by discover; everything inside lives until release is called. */
typedef struct ingestd_catalog {
  uint32_t struct_size;
  uint32_t stream_count;
  const ingestd_stream_info* const* streams;
  void (*release)(struct ingestd_catalog* catalog);
  void* private_data;
} ingestd_catalog;

typedef struct ingestd_stream_request {
  uint32_t struct_size;
  uint32_t stream_index; /* the host's number for the stream in this run, for a plugin's own
                          * bookkeeping; a source need not echo it in its batches */
  const char* stream;    /* a name from the catalog */
  uint32_t extract_mode; /* exactly one INGESTD_EXTRACT_* bit */
  const char* cursor_field; /* NULL for snapshot */
  const char* const* primary_key;
  uint32_t primary_key_count;
  /* The last checkpoint every destination committed, exactly as the source
   * emitted it; NULL on a first run or a full refresh. */
  const uint8_t* state;
  uint64_t state_size;
  int64_t batch_rows; /* preferred rows per batch; a hint, not a limit */
  /* A JSON object of flow options for this stream; never NULL, "{}" when
   * there are none. Keys: "lookback_ms" (integer) or "lookback" (a number in
   * cursor units): re-read that far behind the stored cursor; "start": the
   * cursor value to begin from when there is no state; "deleted_column": a
   * boolean column whose true rows are deletes; "catalog_entry": see
   * ingestd_stream_info. */
  const char* options_json;
  ingestd_host_context* context; /* logs and counters of this stream */
} ingestd_stream_request;

typedef struct ingestd_table_request {
  uint32_t struct_size;
  const char* stream;    /* the source stream name */
  const char* table;     /* destination table (or file) name chosen by the flow */
  uint32_t load_mode;    /* exactly one INGESTD_LOAD_* bit */
  const char* const* primary_key;
  uint32_t primary_key_count;
  const char* cursor_field; /* may be NULL */
  const struct ArrowSchema* schema; /* the stream's schema when it opened */
  const char* run_id;       /* identifies this run in metadata columns */
  /* A JSON object of flow options for this table; never NULL. Keys:
   * "schema_changes": "evolve" (add columns, widen types), "freeze" (fail
   * naming the new or changed columns) or "discard" (drop unknown columns);
   * "hard_delete": deleted rows are removed rather than marked; "delete_stale":
   * on a complete snapshot merge, rows not delivered by this run are deleted
   * (or marked). */
  const char* options_json;
  ingestd_host_context* context; /* logs and counters of this table */
} ingestd_table_request;

/* What a transform is opened for: one stream of one run. \since 1.5 */
typedef struct ingestd_transform_request {
  uint32_t struct_size;
  const char* stream;                /* the source stream's name */
  const struct ArrowSchema* schema;  /* the schema of the batches coming in (lent) */
  const char* run_id;                /* this run's id */
  int64_t sync_time_us;              /* when the run started, microseconds since the epoch, UTC */
  ingestd_host_context* context;     /* logs and counters of this stream */
} ingestd_transform_request;

/*
 * A record batch and what Arrow has no slot for.
 *
 * Source -> host (next_batch): the host passes a zeroed struct with struct_size
 * set. The plugin fills it. The host moves `array` (and `schema` when set) out
 * by bitwise copy, copies checkpoint and metadata, then calls `release`.
 *
 * Host -> destination (write_batch): the batch is lent for the duration of the
 * call. The destination must not release anything in it and must copy whatever
 * it keeps after returning.
 */
typedef struct ingestd_batch {
  uint32_t struct_size;
  /* Host -> destination: the stream's number in this run (its stream_index).
   * Source -> host: ignored; the host knows which stream a batch came from. */
  uint32_t stream_index;
  int64_t row_count;
  /* A struct array ("+s"), one child per column of the stream's schema. */
  struct ArrowArray array;
  /* release == NULL: the stream's schema is unchanged. Otherwise the stream's
   * schema from this batch on (a column added or widened). */
  struct ArrowSchema schema;
  /* Optional: the source's state after this batch (JSON by convention, opaque
   * to the host). The host saves it once every destination has committed
   * this batch, and hands it back to open_stream on the next run. */
  const uint8_t* checkpoint;
  uint64_t checkpoint_size;
  const char* metadata_json; /* optional JSON object of string values */
  /* Frees checkpoint and metadata (not array and schema, which carry their own
   * release). NULL when there is nothing to free. */
  void (*release)(struct ingestd_batch* batch);
  void* private_data;
} ingestd_batch;

/* Reserved columns. A source marks a deleted row (incremental-updates) with a
 * boolean column of this name set to true; its key columns identify the row.
 * Destinations add all three to every table they create. */
#define INGESTD_COLUMN_DELETED "_ingestd_deleted"
#define INGESTD_COLUMN_SYNCED_AT "_ingestd_synced_at"
#define INGESTD_COLUMN_RUN_ID "_ingestd_run_id"

/* Counters (host->counter_add) a destination reports of what a load changed:
 * rows inserted, rows updated (changed; a row delivered again unchanged is
 * neither) and rows deleted or marked deleted. Run history and `ingestd
 * usage` read them. \since 1.2 (names only; older hosts count them as any
 * other counter) */
#define INGESTD_COUNTER_ROWS_INSERTED "rows_inserted"
#define INGESTD_COUNTER_ROWS_UPDATED "rows_updated"
#define INGESTD_COUNTER_ROWS_DELETED "rows_deleted"

/* ------------------------------------------------------------------------
 * Host extension "ingestd.gauges/1" (host->get_extension): values a plugin
 * sets rather than adds to, such as how far a change stream is behind its
 * source. `ingestd serve` exposes the ones named below while a run is live.
 * NULL from get_extension: the host does not take gauges. \since 1.2
 * ------------------------------------------------------------------------ */
#define INGESTD_HOST_EXT_GAUGES "ingestd.gauges/1"

typedef struct ingestd_host_gauges_v1 {
  uint32_t struct_size;
  /* Sets the named gauge of the context (any thread). */
  void (*set)(ingestd_host_context* context, const char* name, double value);
  /* Sets the named text of the context (any thread): a position that is no
   * number, such as the last log position a change stream received. NULL
   * value: forget it. \since 1.3 (check with INGESTD_HAS_MEMBER) */
  void (*set_text)(ingestd_host_context* context, const char* name, const char* value);
} ingestd_host_gauges_v1;

/* Gauges a change stream reports: the bytes of the source's log between its
 * newest position and the position the destinations saved
 * (ingestd_cdc_lag_bytes{flow,stream}). */
#define INGESTD_GAUGE_CDC_LAG_BYTES "cdc_lag_bytes"
/* Texts (set_text) a change stream reports: the newest position of the
 * source's log it has received ("0/16B3748", "binlog.000003:4711"), shown
 * by `ingestd serve`'s /status while the run is live. \since 1.3 */
#define INGESTD_TEXT_CDC_RECEIVED "cdc_received"

/* Batch metadata (ingestd_batch.metadata_json) destinations act on. A batch
 * whose metadata has INGESTD_METADATA_TRUNCATE set to "true" begins with its
 * source table emptied (a TRUNCATE captured from a change stream): before its
 * rows, the destination deletes (hard_delete) or marks deleted every row of
 * the table. \since 1.2 */
#define INGESTD_METADATA_TRUNCATE "ingestd.truncate"

/* close_table outcomes */
#define INGESTD_CLOSE_COMPLETE 0 /* the stream ended: finish the load (replace swaps, stale rows go) */
#define INGESTD_CLOSE_ABORT 1    /* the run failed or was stopped: drop what was not committed */

/* ------------------------------------------------------------------------
 * Plugin table
 * ------------------------------------------------------------------------ */
typedef struct ingestd_plugin {
  /* The first three members are frozen across every ABI major so that a host
   * can always tell which version a plugin speaks. */
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;

  const ingestd_descriptor* descriptor;

  /* Control thread. Creates an instance from validated options. Must not
   * block for long: connecting belongs to check/open. */
  ingestd_status (*create)(const ingestd_create_args* args, ingestd_instance** out_instance,
                           ingestd_error* error);
  /* Control thread, after every stream and table of the instance is closed. */
  void (*destroy)(ingestd_instance* instance);
  /* Control thread, no stream or table open. Connects and verifies access. */
  ingestd_status (*check)(ingestd_instance* instance, ingestd_error* error);
  /* Control thread, no stream or table open. Sources: fills out_catalog
   * (zeroed, struct_size set by the host) with the available streams.
   * Destinations may return INGESTD_ERROR_NOT_SUPPORTED. */
  ingestd_status (*discover)(ingestd_instance* instance, ingestd_catalog* out_catalog,
                             ingestd_error* error);
  /* ANY thread, any time between create and destroy, possibly concurrently
   * with other calls on the instance. Returns quickly; blocked and later calls
   * on the instance's streams and tables then return INGESTD_ERROR_CANCELLED. */
  void (*cancel)(ingestd_instance* instance);

  /* --- Sources ---------------------------------------------------------- */
  /* Stream thread. Opens one stream; writes the schema of its batches into
   * out_schema (a "+s" struct schema the host then owns). Several streams of
   * one instance may be open at once on different threads, up to the
   * descriptor's max_concurrent_streams. */
  ingestd_status (*open_stream)(ingestd_instance* instance, const ingestd_stream_request* request,
                                ingestd_stream** out_stream, struct ArrowSchema* out_schema,
                                ingestd_error* error);
  /* Stream thread. Fills out_batch (zeroed, struct_size set by the host) and
   * returns INGESTD_OK, or returns INGESTD_END_OF_STREAM with nothing filled.
   * May block (waiting for a server) but must honour cancel. */
  ingestd_status (*next_batch)(ingestd_stream* stream, ingestd_batch* out_batch,
                               ingestd_error* error);
  /* Stream thread, once per successful open_stream, also after errors. */
  void (*close_stream)(ingestd_stream* stream);

  /* --- Destinations ----------------------------------------------------- */
  /* Table thread. Prepares to load one stream into one table. */
  ingestd_status (*open_table)(ingestd_instance* instance, const ingestd_table_request* request,
                               ingestd_table** out_table, ingestd_error* error);
  /* Table thread. Writes a lent batch (see ingestd_batch). Batches arrive in
   * the order the source produced them. */
  ingestd_status (*write_batch)(ingestd_table* table, const ingestd_batch* batch,
                                ingestd_error* error);
  /* Table thread. Makes every batch written so far durable; `sequence` numbers
   * the last of them (1, 2, ... per table). Once it returns INGESTD_OK the host
   * may save the source checkpoint of that batch, so it must not return early. */
  ingestd_status (*commit)(ingestd_table* table, uint64_t sequence, ingestd_error* error);
  /* Table thread, once per successful open_table. INGESTD_CLOSE_COMPLETE
   * finishes the load; INGESTD_CLOSE_ABORT drops what is not committed. The
   * table is gone after the call, whatever it returns. */
  ingestd_status (*close_table)(ingestd_table* table, int32_t outcome, ingestd_error* error);

  /* Any thread. A plugin extension by id and revision
   * ("ingestd.transactional-state/1"), or NULL. May itself be NULL. */
  const void* (*get_extension)(const char* id);

  /* --- Transforms \since 1.5 (check with INGESTD_HAS_MEMBER) ----------- */
  /* Stream thread, or the control thread for validate and discover (the
   * transform is then closed without a batch). Opens the transform of one
   * stream and writes the schema of the batches it will produce into
   * out_schema (a "+s" struct schema the host then owns). A request the
   * stream cannot satisfy (a column it lacks) is INGESTD_ERROR_CONFIG with a
   * message naming the stream's columns. */
  ingestd_status (*open_transform)(ingestd_instance* instance, const ingestd_transform_request* request,
                                   ingestd_transform** out_transform, struct ArrowSchema* out_schema,
                                   ingestd_error* error);
  /* Stream thread. Transforms one batch, stateless: the result depends on
   * the batch alone. `in` is given, not lent: the transform owns in->array
   * and in->schema (when set) and must release them or move them (or their
   * children) into out->array, which is how unchanged columns pass without a
   * copy. in->checkpoint and in->metadata_json stay the host's, which carries
   * them over; the transform must not call in->release.
   * in->schema set means the input schema changed from this batch on; the
   * transform then sets out->schema to its new output schema (and may set it
   * at any other time too). `out` (zeroed, struct_size set by the host)
   * receives a struct array of the output schema; zero rows is fine (a filter
   * removed every row). out->checkpoint and out->metadata_json are ignored. */
  ingestd_status (*transform_batch)(ingestd_transform* transform, ingestd_batch* in, ingestd_batch* out,
                                    ingestd_error* error);
  /* Stream thread, once per successful open_transform. */
  void (*close_transform)(ingestd_transform* transform);
} ingestd_plugin;

/* ------------------------------------------------------------------------
 * Extension "ingestd.transactional-state/1" (plugin side, destinations)
 *
 * A destination that can store the source checkpoint in the same transaction
 * as the data offers this through get_extension. The host then commits with
 * commit_with_state instead of commit, and on the next run reads the stored
 * checkpoint back with load_state: what the destination holds and the state
 * it resumes from can never disagree, which makes the load exactly-once.
 * ------------------------------------------------------------------------ */
#define INGESTD_EXT_TRANSACTIONAL_STATE "ingestd.transactional-state/1"

/* A stored checkpoint handed back by load_state. */
typedef struct ingestd_state_blob {
  uint32_t struct_size;
  const uint8_t* data; /* NULL: nothing stored under the key */
  uint64_t size;
  int64_t generation; /* as given to commit_with_state */
  void (*release)(struct ingestd_state_blob* blob);
  void* private_data;
} ingestd_state_blob;

typedef struct ingestd_transactional_state_v1 {
  uint32_t struct_size;
  /* Table thread, in place of commit: makes every batch written so far
   * durable and stores `state` under `key` with `generation`, atomically.
   * `key` names the flow and stream ("orders/public.orders"). */
  ingestd_status (*commit_with_state)(ingestd_table* table, uint64_t sequence, const char* key,
                                      const uint8_t* state, uint64_t state_size, int64_t generation,
                                      ingestd_error* error);
  /* Control thread, no table open. Fills `out` (zeroed, struct_size set by
   * the host) with what commit_with_state last stored under `key`. */
  ingestd_status (*load_state)(ingestd_instance* instance, const char* key, ingestd_state_blob* out,
                               ingestd_error* error);
  /* Control thread, no table open. Forgets what is stored under `key` (the
   * user reset the stream's state). */
  ingestd_status (*clear_state)(ingestd_instance* instance, const char* key, ingestd_error* error);
} ingestd_transactional_state_v1;

/* ------------------------------------------------------------------------
 * Extension "ingestd.source-acks/1" (plugin side, sources)
 *
 * A source that must tell its own producers when their data is safe (a
 * webhook answering 2xx only once the events are committed) offers this
 * through get_extension. The host then reports each saved checkpoint back to
 * the stream that emitted it.
 * ------------------------------------------------------------------------ */
#define INGESTD_EXT_SOURCE_ACKS "ingestd.source-acks/1"

typedef struct ingestd_source_acks_v1 {
  uint32_t struct_size;
  /* ANY thread (the one that saved the checkpoint), possibly while
   * next_batch runs on the stream thread; between open_stream and
   * close_stream. Every destination committed the batch carrying
   * `checkpoint` (bytes as the source emitted them) and all before it, and
   * the checkpoint was saved. In order; when several checkpoints become
   * durable at once, only the newest is reported. Must return quickly. */
  void (*checkpoint_saved)(ingestd_stream* stream, const uint8_t* checkpoint, uint64_t checkpoint_size);
} ingestd_source_acks_v1;

/* ------------------------------------------------------------------------
 * Extension "ingestd.source-release/1" (plugin side, sources) \since 1.3
 *
 * A source that holds something at its server for a stream between runs (a
 * replication slot, which keeps the server's log until it is confirmed)
 * offers this through get_extension, so that `ingestd state reset
 * --drop-slot` can let go of it when the user forgets the stream's state.
 * ------------------------------------------------------------------------ */
#define INGESTD_EXT_SOURCE_RELEASE "ingestd.source-release/1"

typedef struct ingestd_source_release_v1 {
  uint32_t struct_size;
  /* Control thread, no stream of the instance open. Releases what the
   * instance holds at its server for `stream` of flow `flow`; nothing held
   * is not an error. Says what it released through the host's log. */
  ingestd_status (*release_stream)(ingestd_instance* instance, const char* flow, const char* stream,
                                   ingestd_error* error);
} ingestd_source_release_v1;

/* ------------------------------------------------------------------------
 * Entry point: the one exported symbol
 * ------------------------------------------------------------------------ */
#define INGESTD_PLUGIN_ENTRY_SYMBOL "ingestd_plugin_entry"

/*
 * Main thread of the host, once, right after loading.
 *
 * The plugin stores its plugin table in *out_plugin. If host_abi_major differs
 * from the major the plugin was built for, it returns
 * INGESTD_ERROR_VERSION_MISMATCH and still stores the table, of which the host
 * then reads only struct_size, abi_major and abi_minor, to say which versions
 * disagree. `host` lives until the process ends.
 */
typedef ingestd_status (*ingestd_plugin_entry_fn)(uint32_t host_abi_major,
                                                  uint32_t host_abi_minor,
                                                  const ingestd_host_api* host,
                                                  const ingestd_plugin** out_plugin);

#if defined(_WIN32)
#define INGESTD_EXPORT __declspec(dllexport)
#else
#define INGESTD_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
}
#endif

#endif /* INGESTD_ABI_H */
