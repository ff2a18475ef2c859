// The autovoice binary: reads the environment (and .env), then hands the
// command line to the CLI library. Everything else lives in libraries.
#include <cstdlib>
#include <iostream>

#include "cli/command.h"

extern char** environ;

int main(int argc, char** argv) {
  const char* env_file = std::getenv("AUTOVOICE_ENV_FILE");
  auto env = autovoice::load_environment(environ, env_file != nullptr ? env_file : ".env");
  if (!env) {
    std::cerr << "autovoice: " << env.error().message << '\n';
    return autovoice::cli::kExitUsage;
  }
  autovoice::SystemClock clock;
  autovoice::cli::Context ctx(std::cout, std::cerr, std::move(*env), clock);
  return autovoice::cli::run(argc, argv, ctx);
}
