// The peer for JSON Lines reading: simdjson parsing every line of a file
// read in 1 MiB chunks (in place, with the padding simdjson needs), visiting
// every field of every object. Prints the objects and fields seen, so that
// nothing is optimised away.
//   simdjson_lines FILE
#include <simdjson.h>

#include <cstdio>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: simdjson_lines FILE\n");
    return 2;
  }
  std::FILE* in = std::fopen(argv[1], "rb");
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  constexpr std::size_t kChunk = 1 << 20;
  std::vector<char> buffer(kChunk + simdjson::SIMDJSON_PADDING);
  std::size_t start = 0, end = 0;
  simdjson::dom::parser parser;
  long objects = 0, fields = 0;
  for (;;) {
    if (start > 0) {
      std::memmove(buffer.data(), buffer.data() + start, end - start);
      end -= start;
      start = 0;
    }
    if (buffer.size() < end + kChunk + simdjson::SIMDJSON_PADDING)
      buffer.resize(end + kChunk + simdjson::SIMDJSON_PADDING);
    const std::size_t n = std::fread(buffer.data() + end, 1, kChunk, in);
    end += n;
    for (;;) {
      const void* nl = std::memchr(buffer.data() + start, '\n', end - start);
      if (!nl && n > 0) break;
      const std::size_t stop = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - buffer.data()) : end;
      if (stop > start) {
        simdjson::dom::object o;
        if (parser.parse(buffer.data() + start, stop - start, false).get(o)) return 1;
        ++objects;
        for (auto field : o) fields += field.key.size() > 0;
      }
      start = nl ? stop + 1 : end;
      if (!nl) break;
    }
    if (n == 0) break;
  }
  std::fclose(in);
  std::printf("%ld objects, %ld fields\n", objects, fields);
  return 0;
}
