// bench/inventory: the measured runs as child processes of the parent, one at a time or several at once (writers
// of one PostgreSQL inventory).
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bench/bench_support.hpp"
#include "bench/inventory/parent.hpp"

namespace certfleet::bench::inventory {

StartedChild start_child(const Options& o, const Scale& scale, const fs::path& cache_dir, const ChildTask& task) {
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    std::vector<std::string> args{self,
                                  "--child",
                                  "--locations",
                                  std::to_string(scale.locations),
                                  "--endpoints",
                                  std::to_string(scale.endpoints),
                                  "--scans",
                                  std::to_string(scale.scans),
                                  "--certificates",
                                  std::to_string(scale.certificates),
                                  "--child-cache",
                                  cache_dir.string(),
                                  "--child-db",
                                  task.db,
                                  "--child-out",
                                  task.out.string(),
                                  "--query-timeout",
                                  std::to_string(o.query_timeout)};
    if (!task.ingest) args.push_back("--child-queries-only");
    if (!task.queries) args.push_back("--child-ingest-only");
    if (!task.part.whole())
        args.insert(args.end(), {"--child-part", std::to_string(task.part.index) + "/" + std::to_string(task.part.count)});
    if (!o.sqlite_pragma.empty()) args.insert(args.end(), {"--sqlite-pragma", o.sqlite_pragma});
    if (o.explain) args.push_back("--explain");
    if (!task.skip.empty()) {
        std::string list;
        for (const auto i : task.skip) list += (list.empty() ? "" : ",") + std::to_string(i);
        args.insert(args.end(), {"--child-skip", list});
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    StartedChild child{0, machine_busy_seconds(), Clock::now(), task.out};
    child.pid = ::fork();
    if (child.pid < 0) die(std::string("fork: ") + std::strerror(errno));
    if (child.pid == 0) {
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    return child;
}

ChildResult finish_child(const StartedChild& started) {
    const ChildUsage child = reap_child(started.pid);
    ChildResult r;
    r.wall = seconds_since(started.started);
    r.others = std::max(0.0, (machine_busy_seconds() - started.busy_before - child.cpu) / r.wall);
    if (!WIFEXITED(child.status) || WEXITSTATUS(child.status) != 0)
        die("a measured run failed (status " + std::to_string(child.status) + ")");
    r.figures = json::parse(read_text(started.out));
    return r;
}

ChildResult run_child(const Options& o, const Scale& scale, const fs::path& cache_dir, const ChildTask& task) {
    return finish_child(start_child(o, scale, cache_dir, task));
}

}  // namespace certfleet::bench::inventory
