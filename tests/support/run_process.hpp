// Runs a program (the posenc CLI in tests) and captures its exit status and stderr.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace posenc::test {

struct process_result {
  int exit_code = -1;  ///< the exit status, or -1 when the program did not exit normally
  std::string err;     ///< everything written to stderr
};

/// Runs argv[0] with argv in directory cwd; stderr is collected through a file in cwd.
inline process_result run_process(const std::vector<std::string>& argv,
                                  const std::filesystem::path& cwd) {
  const auto err_path = cwd / ".stderr";
  // Flush first: the child would otherwise write the parent's buffered output a second time.
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (chdir(cwd.c_str()) != 0 || !std::freopen(err_path.c_str(), "w", stderr) ||
        !std::freopen("/dev/null", "w", stdout)) {
      _exit(127);
    }
    execv(args[0], args.data());
    _exit(127);
  }
  process_result r;
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  std::ifstream in(err_path);
  r.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  std::filesystem::remove(err_path);
  return r;
}

}  // namespace posenc::test
