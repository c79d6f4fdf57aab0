#include "cli/app.hpp"

int main(int argc, char** argv) { return ingestd::cli::main(argc, argv); }
