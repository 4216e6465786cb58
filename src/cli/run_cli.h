// `cordon run` on the command line: argv (the wire format of the CLI) to a spec.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/args.h"
#include "base/result.h"
#include "image/run_config.h"
#include "spec/spec.h"

namespace cordon::cli {

struct RunOptions {
  spec::SandboxSpec spec;
  bool json = false;        // print the result object on stdout after the command's output
  std::string result_file;  // also write the result object to this file
  bool help = false;
  int verbose = 0;       // -v: 1 (each step of the start), -vv or -v -v: 2 (and the details)
  std::string launcher;  // --launcher: the socket of a running `cordon launcher`
  // --image and what goes with it (--store, --entrypoint, --user); resolved against the
  // store by resolve_image(), after parsing.
  std::optional<image::ImageAsk> image;
  bool ids_given = false;  // --uid or --gid
  std::string name;        // --name: registered while it runs, for cordon exec
};

// args: what follows "run". getenv resolves "--env NAME" (no '=') from the caller; a
// relative --bind source is taken from cwd (the spec holds only absolute host paths).
Result<RunOptions> parse_run_args(const std::vector<std::string>& args,
                                  const char* (*getenv_fn)(const char*),
                                  const std::string& cwd = "/");

// With --image: the store's image made the spec's root and its config applied
// (image/run_config.h). Returns run's exit status for a refusal (66: no store or no such
// image; 64: a config that gives nothing to run, a --user the image does not have) with
// the error in *error, or 0.
int resolve_image(RunOptions* opts, std::string* error);

// run's options, grouped as its --help shows them: the table parse_run_args reads (and
// cordon audit, which passes them on to cordon run).
const std::vector<OptionGroup>& run_option_groups();
// cordon run --help, made from run_option_groups().
std::string run_usage();

// Whether `cordon run OPTIONS -- true` would start, checked without starting anything:
// its options parse, its spec is valid, what it names on the host is there. Returns run's
// exit status for what it refuses (64, 66) with the error in *error, or 0. For callers
// that pass run's options on (cordon audit), so that a bad one is told at once.
int check_run_options(const std::vector<std::string>& options, std::string* error);

// `cordon run ARGS`: parses, runs the sandbox here (or through --launcher), reports, and
// returns the exit status.
int run_main(const std::vector<std::string>& args);

}  // namespace cordon::cli
