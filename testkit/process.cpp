#include "testkit/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <fstream>
#include <sstream>
#include <thread>

#include "testkit/cert_factory.hpp"

namespace certfleet::testing {

namespace {

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

// Everything the child needs is made before fork(): a test forks from several threads at once, and a child of a
// multithreaded process that allocates before exec can deadlock on a lock another thread held (ASan's allocator
// does), which showed as a command killed at its timeout.
pid_t start(const std::vector<std::string>& argv, const ProcessOptions& options, const std::string& out_path,
            const std::string& err_path) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::map<std::string, std::string> environment;
    for (char** e = environ; *e; ++e) {
        const std::string entry(*e);
        const auto equals = entry.find('=');
        if (equals != std::string::npos) environment[entry.substr(0, equals)] = entry.substr(equals + 1);
    }
    for (const auto& [name, value] : options.env) environment[name] = value;
    std::vector<std::string> entries;
    for (const auto& [name, value] : environment) entries.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (auto& entry : entries) envp.push_back(entry.data());
    envp.push_back(nullptr);

    const pid_t pid = ::fork();
    if (pid != 0) return pid;
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (!options.working_directory.empty() && ::chdir(options.working_directory.c_str()) != 0) ::_exit(127);
    ::execvpe(args[0], args.data(), envp.data());
    ::_exit(127);
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

std::optional<int> wait_process(pid_t pid, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) return decode_status(status);
        if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
    TempDir scratch;
    const std::string out_path = (scratch / "stdout").string(), err_path = (scratch / "stderr").string();
    const pid_t pid = start(argv, options, out_path, err_path);
    ProcessResult result;
    if (auto code = wait_process(pid, options.timeout)) {
        result.exit_code = *code;
    } else {
        ::kill(pid, SIGKILL);
        result.exit_code = wait_process(pid, std::chrono::seconds(10)).value_or(-1);
        result.timed_out = true;
    }
    result.out = slurp(out_path);
    result.err = slurp(err_path);
    return result;
}

pid_t spawn_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
    return start(argv, options, "/dev/null", "/dev/null");
}

}  // namespace certfleet::testing
