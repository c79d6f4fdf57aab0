// JSON Lines files cut into blocks typed on worker threads: every line comes
// out once, in order, whatever the block size and the number of workers;
// workers stop where a line needs the stream's own thread; columns published
// later type the blocks cut after.
#include "jsonl_blocks.hpp"

#include <ingestd/kit/typing/columns.hpp>
#include <ingestd/sdk/plugin.hpp>

#include <doctest/doctest.h>

#include "support/files.hpp"

#include <string>
#include <vector>

using ingestd::kit::typing::ColumnSet;
using ingestd::kit::typing::Shape;
using ingestd::plugins::files::JsonlBlocks;
using ingestd::plugins::files::LineBlock;

namespace {

using testing::TempDir;

// Writes `name` in `dir`; returns its path.
std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
  testing::write_file(dir / name, text);
  return dir / name;
}

ColumnSet columns_of(std::initializer_list<std::pair<const char*, Shape>> shapes) {
  ColumnSet c;
  for (const auto& [name, shape] : shapes) c[c.add(name)].shape = shape;
  return c;
}

struct Seen {
  std::vector<std::string> lines;  // "path-index:line"
  int64_t typed_rows = 0;
  int64_t typed_lines = 0;
  std::vector<std::string> stops;  // the lines workers left to the caller
  std::string error;
  std::size_t blocks = 0;
};

// Takes every block, as the stream does, checking what each says of itself.
Seen drain(JsonlBlocks& blocks, const std::vector<std::string>& paths) {
  Seen seen;
  std::size_t file = 0;
  bool in_file = false;
  while (auto b = blocks.next()) {
    ++seen.blocks;
    if (!in_file) {
      CHECK(b->first_of_file);
      in_file = true;
    } else {
      CHECK_FALSE(b->first_of_file);
    }
    REQUIRE(file < paths.size());
    CHECK(b->path == paths[file]);
    std::size_t pos = b->begin;
    std::string_view line;
    int64_t index = 0;
    while (b->next_line(pos, line)) {
      seen.lines.push_back(std::to_string(file) + ":" + std::string(line));
      ++index;
    }
    if (b->untyped < b->end) {  // the first line the worker did not type
      std::size_t at = b->untyped;
      std::string_view stop;
      REQUIRE(b->next_line(at, stop));
      seen.stops.push_back(std::string(stop));
    }
    CHECK(b->typed_lines <= index);
    if (b->rows) seen.typed_rows += b->rows->rows();
    seen.typed_lines += b->typed_lines;
    if (b->error) {
      try {
        std::rethrow_exception(b->error);
      } catch (const std::exception& e) {
        seen.error = e.what();
      }
    }
    if (b->last_of_file) {
      ++file;
      in_file = false;
    }
    blocks.recycle(std::move(b));
  }
  return seen;
}

std::vector<std::string> expected_lines(const std::vector<std::vector<std::string>>& files) {
  std::vector<std::string> out;
  for (std::size_t f = 0; f < files.size(); ++f)
    for (const auto& l : files[f]) out.push_back(std::to_string(f) + ":" + l);
  return out;
}

}  // namespace

TEST_CASE("jsonl blocks: every line once and in order, at every block size and number of workers") {
  TempDir dir;
  std::vector<std::vector<std::string>> files(3);
  std::string a = "\xEF\xBB\xBF";  // a byte order mark, left out
  for (int i = 0; i < 3000; ++i) {
    std::string line = R"({"id":)" + std::to_string(i) + R"(,"name":"n)" + std::string(static_cast<std::size_t>(i % 37), 'x') + "\"}";
    if (i % 100 == 7) line.clear();  // blank lines are lines too
    files[0].push_back(line);
    a += line + (i % 3 == 0 ? "\r\n" : "\n");
  }
  files[1] = {};  // an empty file
  files[2] = {R"({"id":1,"name":"last"})", R"({"id":2,"name":"no line end"})"};
  const std::vector<std::string> paths = {write(dir, "a.jsonl", a), write(dir, "empty.jsonl", ""),
                                          write(dir, "c.jsonl", files[2][0] + "\n" + files[2][1])};
  const int64_t rows = 3000 - 30 + 2;
  const ColumnSet columns = columns_of({{"id", Shape::Int}, {"name", Shape::String}});
  for (std::size_t first_block : {std::size_t{1}, std::size_t{7}, std::size_t{100}, std::size_t{4096},
                                  JsonlBlocks::kFirstBlockBytes}) {
    for (unsigned workers : {1u, 3u}) {
      for (int64_t lines_per_block : {int64_t{1}, int64_t{500}}) {
        CAPTURE(first_block);
        CAPTURE(workers);
        CAPTURE(lines_per_block);
        JsonlBlocks blocks(paths, std::size_t{1} << 20, columns, lines_per_block, first_block, workers);
        Seen seen = drain(blocks, paths);
        CHECK(seen.lines == expected_lines(files));
        CHECK(seen.stops.empty());
        CHECK(seen.typed_rows == rows);
        CHECK(seen.typed_lines == static_cast<int64_t>(seen.lines.size()));
        CHECK(seen.error.empty());
        if (first_block == 100) CHECK(seen.blocks > 100);
      }
    }
  }
}

TEST_CASE("jsonl blocks: workers stop at the lines only the stream can take, and the rest is still there") {
  TempDir dir;
  std::vector<std::string> lines;
  for (int i = 0; i < 200; ++i) lines.push_back(R"({"id":)" + std::to_string(i) + "}");
  lines[20] = R"({"id":20,"new":true})";  // a key the columns lack
  lines[60] = R"({"id":"sixty"})";  // wider than an integer
  lines[90] = R"({"id":90,})";  // not JSON
  lines[120] = R"([120])";  // not an object
  lines[150] = R"({"id":150,"pad":")" + std::string(300, 'p') + "\"}";  // over max_line
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  const std::vector<std::string> paths = {write(dir, "s.jsonl", text)};
  // One block: each worker stop leaves the rest of the block to the caller.
  for (std::size_t stop : {std::size_t{20}, std::size_t{60}, std::size_t{90}, std::size_t{120}, std::size_t{150}}) {
    CAPTURE(stop);
    std::string head;
    for (std::size_t i = 0; i <= stop; ++i) head += (i == stop ? lines[i] : R"({"id":)" + std::to_string(i) + "}") + "\n";
    head += R"({"id":999})" "\n";
    const std::vector<std::string> one = {write(dir, "one.jsonl", head)};
    JsonlBlocks blocks(one, 256, columns_of({{"id", Shape::Int}}), 1 << 14, std::size_t{1} << 20, 2);
    auto b = blocks.next();
    REQUIRE(b);
    CHECK(b->typed_lines == static_cast<int64_t>(stop));
    CHECK(b->rows->rows() == static_cast<int64_t>(stop));
    std::size_t at = b->untyped;
    std::string_view line;
    REQUIRE(b->next_line(at, line));
    CHECK(line == lines[stop]);
    REQUIRE(b->next_line(at, line));
    CHECK(line == R"({"id":999})");
  }
  // Small blocks: all lines come out, the stops among them.
  JsonlBlocks blocks(paths, std::size_t{1} << 20, columns_of({{"id", Shape::Int}}), 1, 64, 2);
  Seen seen = drain(blocks, paths);
  CHECK(seen.lines.size() == lines.size());
  // (and the padded line, whose "pad" is a new key)
  CHECK(seen.stops == std::vector<std::string>{lines[20], lines[60], lines[90], lines[120], lines[150]});
}

TEST_CASE("jsonl blocks: columns published later type the blocks cut after") {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 400; ++i) text += R"({"id":)" + std::to_string(i) + R"(,"tag":"t"})" "\n";
  const std::vector<std::string> paths = {write(dir, "p.jsonl", text)};
  ColumnSet narrow = columns_of({{"id", Shape::Int}});
  // One worker, one block ahead at most: the first blocks stop at "tag".
  JsonlBlocks blocks(paths, 1 << 20, narrow, 1, 128, 1);
  auto first = blocks.next();
  REQUIRE(first);
  CHECK(first->typed_lines == 0);
  CHECK(first->typed_under->schema.size() == 1);
  ColumnSet wide = columns_of({{"id", Shape::Int}, {"tag", Shape::String}});
  blocks.publish(wide);
  int64_t lines = 0;
  std::size_t pos = first->begin;
  std::string_view line;
  while (first->next_line(pos, line)) ++lines;
  blocks.recycle(std::move(first));
  bool typed_under_wide = false;
  while (auto b = blocks.next()) {
    if (b->typed_under->schema == wide.schema()) {
      typed_under_wide = true;
      CHECK(b->untyped == b->end);
      CHECK(b->rows->rows() == b->typed_lines);
    }
    pos = b->begin;
    while (b->next_line(pos, line)) ++lines;
    blocks.recycle(std::move(b));
  }
  CHECK(typed_under_wide);
  CHECK(lines == 400);
}

TEST_CASE("jsonl blocks: a file that cannot be read, and a line with no end in sight, come after the lines before") {
  TempDir dir;
  const std::string good = write(dir, "good.jsonl", "{\"a\":1}\n{\"a\":2}\n");
  const std::vector<std::string> paths = {good, dir / "missing.jsonl", good};
  JsonlBlocks blocks(paths, 1 << 20, columns_of({{"a", Shape::Int}}), 100, 4096, 2);
  Seen seen = drain(blocks, paths);
  CHECK(seen.lines == std::vector<std::string>{"0:{\"a\":1}", "0:{\"a\":2}"});
  CHECK(seen.error.find("missing.jsonl") != std::string::npos);

  const std::vector<std::string> long_line = {
      write(dir, "long.jsonl", "{\"a\":1}\n{\"a\":\"" + std::string(5000, 'x') + "\"}\n{\"a\":3}\n")};
  JsonlBlocks capped(long_line, 1000, columns_of({{"a", Shape::Int}}), 100, 64, 2);
  Seen cut = drain(capped, long_line);
  REQUIRE(cut.lines.size() == 2);
  CHECK(cut.lines[0] == "0:{\"a\":1}");
  CHECK(cut.lines[1].size() > 1000);  // handed over as it is, for the stream to refuse
  CHECK(cut.stops.size() == 1);
}

TEST_CASE("jsonl blocks: given up before the end, the workers stop") {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 50000; ++i) text += R"({"id":)" + std::to_string(i) + "}\n";
  const std::vector<std::string> paths = {write(dir, "big.jsonl", text)};
  for (int taken : {0, 1, 3}) {
    JsonlBlocks blocks(paths, 1 << 20, columns_of({{"id", Shape::Int}}), 1, 256, 3);
    for (int i = 0; i < taken; ++i) CHECK(blocks.next() != nullptr);
  }  // the destructor returns: nothing waits on a block nobody takes
}
