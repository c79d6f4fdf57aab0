#pragma once

namespace ingestd::cli {

// Parses the command line and runs the command; returns the exit code.
int main(int argc, char** argv);

}  // namespace ingestd::cli
