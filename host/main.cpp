#include "cli/app.hpp"
#include "util/allocator.hpp"

int main(int argc, char** argv) {
  ingestd::tune_allocator();
  return ingestd::cli::main(argc, argv);
}
