// Starting and stopping the autovoice binary from tests: fork, exec with extra
// environment, stderr to a file, and wait for the port file the command writes
// (`--port-file`).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace autovoice::testing {

// Starts argv[0] with `argv` and `env` added to the environment, stderr
// appended to `err_path`; waits up to 15 s for a positive port in `port_file`.
// Sets *pid and returns the port. Throws, quoting the stderr, when the child
// exits first or never writes the port (`what` names it in the message).
int start_and_wait_for_port(std::vector<std::string> argv, const std::map<std::string, std::string>& env,
                            const std::string& err_path, const std::string& port_file,
                            const std::string& what, int* pid);

// Runs argv[0] to its end (stderr appended to `err_path`); returns its exit status.
int run_to_end(std::vector<std::string> argv, const std::map<std::string, std::string>& env,
               const std::string& err_path);

// Starts argv[0] in the background with `env` added, stdout written to
// `out_path` (empty: the test's own stdout) and stderr appended to `err_path`.
// Returns its pid; wait_child() collects it.
int start_child(std::vector<std::string> argv, const std::map<std::string, std::string>& env,
                const std::string& out_path, const std::string& err_path);

// Waits for a child started by start_child; returns its exit status (128 +
// signal when killed).
int wait_child(int pid);

// SIGTERM, then waits; returns the exit status (128 + signal when killed) and
// sets *pid to -1. 0 when *pid is not a running child.
int stop_child(int* pid);

std::string read_text_file(const std::string& path);

}  // namespace autovoice::testing
