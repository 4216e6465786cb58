// Instances through the daemon's API, from outside: a real daemon whose image store holds
// tests/integration/image_fixtures.py's runnable image, tenants creating, starting,
// entering, snapshotting and removing instances over real HTTP. Checked: another tenant's
// instance is 404 exactly as a missing one, quotas refuse with 422 naming the field, exec
// answers the command's status and output, instances outlive a daemon restart and those
// marked autostart come back at its start.
#include <gtest/gtest.h>
#include <signal.h>

#include <sys/stat.h>
#include <atomic>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <thread>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon_harness.h"
#include "harness.h"

namespace cordon::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kApp = "example.com/test/app:1";

// Counts its runs in the writable layer, says so, and lives until stopped.
const char* kCounting =
    "echo run >> /srv/app/runs; echo runs=$(wc -l < /srv/app/runs);"
    "while :; do sleep 0.1; done";

bool have_btrfs() {
  return fs::exists("/sbin/mkfs.btrfs") || fs::exists("/usr/sbin/mkfs.btrfs");
}

// A daemon with the runnable image in its store, and whatever instances a test leaves
// stopped and removed at its end (so that no slot stays reserved, no disk mounted).
class DaemonInstances : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_root()) GTEST_SKIP() << "needs root";
    busybox_ = find_busybox();
    if (busybox_.empty()) GTEST_SKIP() << "needs busybox-static";
    if (!have_btrfs()) GTEST_SKIP() << "needs mkfs.btrfs (btrfs-progs)";
    ASSERT_TRUE(d_.start()) << d_.log();
    std::string fx = d_.dir() + "/fx";
    fs::create_directories(fx);
    auto made = run_program({"/usr/bin/python3", IMAGE_FIXTURES, fx, busybox_});
    ASSERT_EQ(made.status, 0) << made.err;
    auto imported = run_cordon({"image", "import", fx + "/app", "--store", d_.image_store()});
    ASSERT_EQ(imported.status, 0) << imported.err;
  }
  void TearDown() override {
    std::string root = instances_root();
    if (busybox_.empty() || !fs::exists(root)) return;
    for (const auto& e : fs::directory_iterator(root)) {
      std::string name = e.path().filename();
      run_cordon({"instance", "--instances", root, "stop", name, "--time", "5s"});
      run_cordon({"instance", "--instances", root, "rm", name});
    }
  }
  std::string instances_root() const { return d_.state_dir() + "/instances"; }

  HttpOut create(const std::string& tok, const std::string& name, json extra = json::object()) {
    json body = {{"name", name},
                 {"image", kApp},
                 {"disk", "300M"},
                 {"stop_grace", "2s"},
                 {"command", {kCounting}}};  // the image's Entrypoint is sh -c
    for (const auto& [k, v] : extra.items()) body[k] = v;
    return d_.call("POST", "/v1/instances", body.dump(), tok);
  }
  HttpOut get(const std::string& tok, const std::string& name) {
    return d_.call("GET", "/v1/instances/" + name, "", tok);
  }
  HttpOut post(const std::string& tok, const std::string& path, const json& body = nullptr) {
    return d_.call("POST", "/v1/instances/" + path, body.is_null() ? "" : body.dump(), tok);
  }
  bool wait_state(const std::string& tok, const std::string& name, const std::string& state,
                  int timeout_ms = 60000) {
    return wait_until(timeout_ms, [&] { return get(tok, name).json.value("state", "") == state; });
  }

  // What the instance's command wrote and how its last run ended (for failures).
  std::string console(const std::string& tok, const std::string& name) {
    std::string root = instances_root();
    if (!fs::exists(root)) return "";
    std::string out;
    for (const auto& e : fs::directory_iterator(root)) {
      std::string host = e.path().filename();
      if (host.size() <= name.size() || host.substr(host.size() - name.size()) != name) continue;
      out += "\n" + host + " console:\n" + read_file(e.path().string() + "/console.log");
      out += "\nlast result: " + read_file(e.path().string() + "/last-result.json");
    }
    (void)tok;
    return out;
  }
  // Whether the instance's runs file comes to read `want` (its command writes it once up).
  bool runs_are(const std::string& tok, const std::string& name, const std::string& want) {
    std::string last;
    bool ok = wait_until(30000, [&] {
      auto r = post(tok, name + "/exec", json{{"command", {"cat", "/srv/app/runs"}}});
      last = r.body;
      return r.json.value("stdout", "") == want;
    });
    EXPECT_TRUE(ok) << last << console(tok, name);
    return ok;
  }

  std::string busybox_;
  // One terminal per tenant at a time (max_terminals_per_tenant), so that the cap is seen.
  Daemon d_{{"--max-terminals-per-tenant", "1"}};
};

TEST_F(DaemonInstances, ATenantsInstanceLivesStartsExecsAndIsGoneForOthers) {
  std::string a = d_.tenant("alpha");
  std::string b = d_.tenant("beta");
  auto made = create(a, "web");
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.json["name"], "web");
  EXPECT_EQ(made.json["tenant"], "alpha");
  EXPECT_EQ(made.json["state"], "stopped");
  EXPECT_EQ(made.json["disk"], 300ull << 20);
  // A tenant's view holds no host fact (slot, supervisor's PID, host name).
  EXPECT_FALSE(made.json.contains("slot_base")) << made.body;
  EXPECT_FALSE(made.json.contains("supervisor_pid")) << made.body;
  EXPECT_EQ(create(a, "web").status, 409);

  // Beta: alpha's instance answers exactly as one that does not exist.
  auto missing = get(b, "nosuch");
  auto theirs = get(b, "web");
  EXPECT_EQ(theirs.status, 404);
  EXPECT_EQ(theirs.body, missing.body);
  for (const char* verb : {"start", "stop", "restart", "exec", "snapshots"}) {
    auto r = post(b, std::string("web/") + verb, json{{"command", {"true"}}, {"name", "s"}});
    EXPECT_EQ(r.status, 404) << verb << ": " << r.body;
  }
  EXPECT_EQ(d_.call("GET", "/v1/instances/web/snapshots", "", b).status, 404);
  EXPECT_EQ(d_.call("DELETE", "/v1/instances/web", "", b).status, 404);
  EXPECT_EQ(d_.call("GET", "/v1/instances", "", b).json["instances"], json::array());
  // Nor by alpha's host name for it.
  auto op = d_.call("GET", "/v1/instances");
  ASSERT_EQ(op.status, 200) << op.body;
  ASSERT_EQ(op.json["instances"].size(), 1u) << op.body;
  std::string host_name = op.json["instances"][0]["host_name"];
  EXPECT_EQ(get(b, host_name).status, 404);
  EXPECT_EQ(get(a, host_name).status, 404);
  EXPECT_EQ(d_.call("GET", "/v1/instances/" + host_name).json["tenant"], "alpha");

  // Exec of a stopped instance: 409. Started, exec answers status and output.
  EXPECT_EQ(post(a, "web/exec", json{{"command", {"true"}}}).status, 409);
  auto started = post(a, "web/start");
  ASSERT_EQ(started.status, 200) << started.body;
  EXPECT_EQ(started.json["state"], "running");
  EXPECT_EQ(started.json["autostart"], true);
  ASSERT_TRUE(runs_are(a, "web", "run\n"));
  auto ex = post(a, "web/exec",
                 json{{"command", {"sh", "-c", "cat /srv/app/runs; cat; echo oops >&2; exit 3"}},
                      {"stdin", "from stdin\n"}});
  ASSERT_EQ(ex.status, 200) << ex.body;
  EXPECT_EQ(ex.json["exit_status"], 3) << ex.body;
  EXPECT_EQ(ex.json["stdout"], "run\nfrom stdin\n") << ex.body;
  EXPECT_EQ(ex.json["stderr"], "oops\n") << ex.body;
  EXPECT_EQ(ex.json["timed_out"], false);
  auto who = post(a, "web/exec",
                  json{{"command", {"sh", "-c", "id -u; pwd; echo $GREETING"}},
                       {"user", "0"},
                       {"workdir", "/srv"},
                       {"env", {{"GREETING", "hello"}}}});
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(who.json["stdout"], "0\n/srv\nhello\n") << who.body;
  auto slow = post(a, "web/exec", json{{"command", {"sleep", "30"}}, {"timeout", "1s"}});
  ASSERT_EQ(slow.status, 200) << slow.body;
  EXPECT_EQ(slow.json["timed_out"], true) << slow.body;
  EXPECT_TRUE(slow.json["exit_status"].is_null()) << slow.body;

  // Running: no removal, no snapshot.
  EXPECT_EQ(d_.call("DELETE", "/v1/instances/web", "", a).status, 409);
  EXPECT_EQ(post(a, "web/snapshots", json{{"name", "s1"}}).status, 409);
  auto stopped = post(a, "web/stop");
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  EXPECT_EQ(stopped.json["state"], "stopped");
  EXPECT_EQ(stopped.json["autostart"], false);

  // Snapshots: taken, listed, restored (the run counted after it is undone), removed.
  auto snap = post(a, "web/snapshots", json{{"name", "s1"}});
  ASSERT_EQ(snap.status, 201) << snap.body;
  EXPECT_EQ(d_.call("GET", "/v1/instances/web/snapshots", "", a).json["snapshots"],
            json::array({"s1"}));
  ASSERT_EQ(post(a, "web/start").status, 200);
  EXPECT_TRUE(runs_are(a, "web", "run\nrun\n"));
  ASSERT_EQ(post(a, "web/stop").status, 200);
  auto restored = post(a, "web/snapshots/s1/restore");
  ASSERT_EQ(restored.status, 200) << restored.body;
  EXPECT_EQ(post(a, "web/snapshots/nosuch/restore").status / 100, 4);
  ASSERT_EQ(post(a, "web/restart").status, 200);
  EXPECT_TRUE(runs_are(a, "web", "run\nrun\n"));  // s1's one, and this run's (not 3)
  ASSERT_EQ(post(a, "web/stop").status, 200);
  EXPECT_EQ(d_.call("DELETE", "/v1/instances/web/snapshots/s1", "", a).status, 200);
  EXPECT_EQ(d_.call("GET", "/v1/instances/web/snapshots", "", a).json["snapshots"], json::array());

  // Its tenant is not removed while it has an instance.
  EXPECT_EQ(d_.call("DELETE", "/v1/tenants/alpha").status, 409);
  auto gone = d_.call("DELETE", "/v1/instances/web", "", a);
  ASSERT_EQ(gone.status, 200) << gone.body;
  EXPECT_EQ(get(a, "web").status, 404);
  EXPECT_FALSE(fs::exists(instances_root() + "/" + host_name));
  EXPECT_EQ(d_.call("DELETE", "/v1/tenants/alpha").status, 200);
}

TEST_F(DaemonInstances, QuotasRefuseACreationWith422NamingTheField) {
  std::string q = d_.tenant("quota", json{{"max_instances", 1},
                                          {"instances_disk", "500M"},
                                          {"instances_memory", "600M"},
                                          {"instances_cpus", 1.5}});
  auto tenant = d_.call("GET", "/v1/tenants/quota", "", q);
  EXPECT_EQ(tenant.json["quota"]["max_instances"], 1) << tenant.body;
  auto field = [&](json extra) {
    auto r = create(q, "x", std::move(extra));
    EXPECT_EQ(r.status, 422) << r.body;
    return r.json["error"].value("field", "");
  };
  EXPECT_EQ(field({{"disk", "600M"}}), "disk");
  EXPECT_EQ(field({{"memory", "700M"}}), "memory");
  EXPECT_EQ(field({{"cpus", 2}}), "cpus");
  EXPECT_EQ(field({{"image", "example.com/test/none:1"}}), "image");
  EXPECT_EQ(d_.call("GET", "/v1/instances", "", q).json["instances"], json::array());
  auto one = create(q, "one", {{"memory", "256M"}, {"cpus", 1}});
  ASSERT_EQ(one.status, 201) << one.body;
  EXPECT_EQ(field({{"memory", "256M"}, {"cpus", 0.5}}), "name");  // a second: max_instances
  // Bad values are 400 on their field; unknown fields too.
  auto bad = create(q, "Bad");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json["error"]["field"], "name");
  EXPECT_EQ(create(q, "y", {{"colour", "red"}}).status, 400);
  // The operator creates none (instances are tenants').
  EXPECT_EQ(d_.call("POST", "/v1/instances", R"({"name":"z","image":"x"})").status, 403);
}

TEST_F(DaemonInstances, InstancesOutliveADaemonAndAutostartBringsThemBack) {
  std::string a = d_.tenant("alpha");
  ASSERT_EQ(create(a, "keep").status, 201);
  ASSERT_EQ(post(a, "keep/start").status, 200);
  // The daemon stops; its instance runs on, and the next daemon finds it running.
  EXPECT_EQ(d_.stop(), 0) << d_.log();
  ASSERT_TRUE(d_.start()) << d_.log();
  auto seen = get(a, "keep");
  ASSERT_EQ(seen.status, 200) << seen.body;
  EXPECT_EQ(seen.json["state"], "running");
  EXPECT_TRUE(runs_are(a, "keep", "run\n"));

  // Then its supervisor killed while no daemon runs (a host's crash): the next daemon
  // starts it again, since it was running when it went.
  json op = d_.call("GET", "/v1/instances").json["instances"][0];
  pid_t sup = op["supervisor_pid"].get<pid_t>();
  std::string root = instances_root();
  std::string host = op["host_name"];
  // kill -9 of the daemon: the instance runs on, its supervisor untouched.
  d_.kill9();
  ASSERT_GT(sup, 0);
  EXPECT_TRUE(process_exists(sup));
  auto after = run_cordon({"instance", "--instances", root, "info", host, "--json"});
  EXPECT_NE(after.out.find("\"running\""), std::string::npos) << after.out << after.err;
  ::kill(sup, SIGKILL);
  ASSERT_TRUE(wait_until(30000, [&] {
    auto info = run_cordon({"instance", "--instances", root, "info", host, "--json"});
    return info.out.find("\"stopped\"") != std::string::npos;
  }));
  ASSERT_TRUE(d_.start()) << d_.log();
  ASSERT_TRUE(wait_state(a, "keep", "running")) << get(a, "keep").body << d_.log();
  EXPECT_TRUE(runs_are(a, "keep", "run\nrun\n"));
}

TEST_F(DaemonInstances, FilesPushedAndPulledRoundTripAndAPlantedSymlinkLeaksNothing) {
  std::string a = d_.tenant("alpha");
  ASSERT_EQ(create(a, "files").status, 201);
  ASSERT_EQ(post(a, "files/start").status, 200);
  ASSERT_TRUE(runs_are(a, "files", "run\n"));
  // Every byte value, and more than a pipe holds.
  std::string bytes;
  for (int i = 0; i < 300000; ++i) bytes.push_back(static_cast<char>((i * 7 + i / 256) & 0xff));
  auto put = d_.call("PUT", "/v1/instances/files/files/srv/app/blob", bytes, a);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json["bytes"], bytes.size());
  auto got = d_.call("GET", "/v1/instances/files/files/srv/app/blob", "", a);
  ASSERT_EQ(got.status, 200) << got.body.substr(0, 200);
  EXPECT_TRUE(got.body == bytes) << got.body.size();
  // Written by the instance's user: on the host, its slot's IDs.
  json op = d_.call("GET", "/v1/instances").json["instances"][0];
  uint64_t slot = op["slot_base"].get<uint64_t>();
  std::string upper =
      instances_root() + "/" + op["host_name"].get<std::string>() + "/disk/layer/upper";
  struct stat st {};
  ASSERT_EQ(::stat((upper + "/srv/app/blob").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, slot + 1500);
  // Another tenant: 404, as for an instance that does not exist.
  std::string b = d_.tenant("beta");
  EXPECT_EQ(d_.call("GET", "/v1/instances/files/files/srv/app/blob", "", b).status, 404);
  EXPECT_EQ(d_.call("PUT", "/v1/instances/files/files/srv/app/x", "x", b).status, 404);
  EXPECT_EQ(d_.call("GET", "/v1/instances/files/files/srv/app/nosuch", "", a).status, 404);
  EXPECT_EQ(d_.call("GET", "/v1/instances/files/files/srv/../etc/passwd", "", a).status, 400);

  // The guest plants symlinks to host paths: a read gives the guest's view (here nothing),
  // a write lands in the guest's tree; the host's files are untouched.
  TempDir host;
  std::string secret = host.path() + "/secret";
  { std::ofstream(secret) << "host secret 4711\n"; }
  auto planted =
      post(a, "files/exec",
           json{{"command",
                 {"sh", "-c",
                  "ln -s " + secret + " /srv/app/leak && ln -s " + secret + " /srv/app/out"}}});
  ASSERT_EQ(planted.json["exit_status"], 0) << planted.body;
  auto leak = d_.call("GET", "/v1/instances/files/files/srv/app/leak", "", a);
  EXPECT_EQ(leak.status, 404) << leak.body;
  EXPECT_EQ(leak.body.find("4711"), std::string::npos);
  auto over = d_.call("PUT", "/v1/instances/files/files/srv/app/out", "overwritten\n", a);
  EXPECT_NE(over.status / 100, 5) << over.body;
  EXPECT_EQ(read_file(secret), "host secret 4711\n");

  // The CLI: push then pull, byte for byte; a pull through the planted symlink fails and
  // leaves no file.
  std::string root = instances_root();
  std::string name = op["host_name"];
  std::string src = host.path() + "/src", back = host.path() + "/back";
  { std::ofstream(src, std::ios::binary) << bytes; }
  auto push =
      run_cordon({"instance", "--instances", root, "file", "push", src, name + ":/srv/app/cli"});
  ASSERT_EQ(push.status, 0) << push.err;
  auto pull =
      run_cordon({"instance", "--instances", root, "file", "pull", name + ":/srv/app/cli", back});
  ASSERT_EQ(pull.status, 0) << pull.err;
  EXPECT_TRUE(read_file(back) == bytes);
  auto leaked = run_cordon({"instance", "--instances", root, "file", "pull",
                            name + ":/srv/app/leak", host.path() + "/leaked"});
  EXPECT_NE(leaked.status, 0);
  EXPECT_FALSE(fs::exists(host.path() + "/leaked"));
  EXPECT_EQ(read_file(secret), "host secret 4711\n");
}

// The handler threads are everyone's: a tenant's calls that hold one until their child
// ends are capped (2 at once by default), the operator's are not.
TEST_F(DaemonInstances, ATenantsLongCallsAreCappedSoOthersKeepTheHandlers) {
  std::string a = d_.tenant("alpha");
  ASSERT_EQ(create(a, "busy").status, 201);
  ASSERT_EQ(post(a, "busy/start").status, 200);
  ASSERT_TRUE(runs_are(a, "busy", "run\n"));
  std::string host = d_.call("GET", "/v1/instances").json["instances"][0]["host_name"];
  // Two execs that hold until the operator says go; the marker files say they run.
  const json hold = {
      {"command", {"sh", "-c", "touch /tmp/held-$$; while [ ! -e /tmp/go ]; do sleep 0.1; done"}},
      {"timeout", 120}};
  std::vector<std::thread> held;
  std::vector<int> statuses(2, 0);
  for (int i = 0; i < 2; ++i)
    held.emplace_back([&, i] { statuses[i] = post(a, "busy/exec", hold).status; });
  auto holding = [&] {
    auto r = d_.call("POST", "/v1/instances/" + host + "/exec",
                     json{{"command", {"sh", "-c", "ls /tmp | grep -c held-"}}}.dump());
    return r.json.value("stdout", "") == "2\n";
  };
  bool both = wait_until(60000, holding);
  EXPECT_TRUE(both);
  if (both) {
    // A third of the tenant's: 429 at once; the operator's own call still goes through.
    auto third = post(a, "busy/exec", json{{"command", {"true"}}});
    EXPECT_EQ(third.status, 429) << third.body;
    EXPECT_FALSE(third.header("retry-after").empty());
    EXPECT_EQ(d_.call("GET", "/v1/instances/busy", "", a).status, 200);  // not a long call
  }
  auto go = d_.call("POST", "/v1/instances/" + host + "/exec",
                    json{{"command", {"touch", "/tmp/go"}}}.dump());
  EXPECT_EQ(go.status, 200) << go.body;
  for (auto& t : held) t.join();
  EXPECT_EQ(statuses, std::vector<int>({200, 200}));
  // The places are given back: the tenant's next call goes through.
  EXPECT_EQ(post(a, "busy/exec", json{{"command", {"true"}}}).status, 200);
}

// A WebSocket client of the daemon (Beast, on its Unix socket), synchronous; a watchdog
// closes it at a deadline so that a test never hangs on a read.
class Terminal {
 public:
  Terminal(const std::string& socket, const std::string& target, const std::string& token)
      : ws_(io_) {
    ws_.next_layer().connect(boost::asio::local::stream_protocol::endpoint(socket));
    ws_.set_option(boost::beast::websocket::stream_base::decorator(
        [token](boost::beast::websocket::request_type& req) {
          req.set(boost::beast::http::field::authorization, "Bearer " + token);
        }));
    ws_.handshake("localhost", target);
    watchdog_ = std::thread([this] {
      for (int i = 0; i < 600 && !done_; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!done_) {
        boost::system::error_code ec;
        ws_.next_layer().shutdown(boost::asio::socket_base::shutdown_both, ec);
      }
    });
  }
  ~Terminal() {
    done_ = true;
    watchdog_.join();
  }
  void send(const std::string& bytes, bool text = false) {
    ws_.text(text);
    ws_.write(boost::asio::buffer(bytes));
  }
  // Reads until the terminal's output holds `what`; false at a text message or the end.
  bool read_until(const std::string& what) {
    while (output_.find(what) == std::string::npos) {
      if (!read_one()) return false;
    }
    return true;
  }
  // The next text message (what the terminal wrote before it is kept in output()).
  std::string read_text() {
    while (read_one()) {
    }
    return last_text_;
  }
  bool closed() {
    boost::beast::flat_buffer b;
    boost::system::error_code ec;
    ws_.read(b, ec);
    return ec == boost::beast::websocket::error::closed;
  }
  const std::string& output() const { return output_; }

 private:
  // One message: true for terminal bytes, false for a text message or an error.
  bool read_one() {
    boost::beast::flat_buffer b;
    boost::system::error_code ec;
    ws_.read(b, ec);
    if (ec) return false;
    std::string data = boost::beast::buffers_to_string(b.data());
    if (ws_.got_text()) {
      last_text_ = data;
      return false;
    }
    output_ += data;
    return true;
  }
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::asio::local::stream_protocol::socket> ws_;
  std::string output_, last_text_;
  std::atomic<bool> done_{false};
  std::thread watchdog_;
};

// Whether `sleep 1000` runs in the instance "term" (nullopt: it could not be told). Every
// process's command line from the instance's /proc (its image has no ps).
std::optional<bool> sleeping_in(Daemon& d, const std::string& tok) {
  auto r =
      d.call("POST", "/v1/instances/term/exec",
             json{{"command", {"sh", "-c", "for f in /proc/[0-9]*/cmdline; do cat $f; echo; done"}}}
                 .dump(),
             tok);
  std::string out = r.json.value("stdout", "");
  if (r.json.value("exit_status", json()) != 0 || out.find("while") == std::string::npos)
    return std::nullopt;
  return out.find(std::string("sleep\0"
                              "1000",
                              10)) != std::string::npos;
}

TEST_F(DaemonInstances, AWebSocketTerminalFollowsAResizeAndEndsWithTheExitStatus) {
  auto sleeping = [&](const std::string& tok) { return sleeping_in(d_, tok); };
  std::string a = d_.tenant("alpha");
  std::string b = d_.tenant("beta");
  ASSERT_EQ(create(a, "term").status, 201);
  ASSERT_EQ(post(a, "term/start").status, 200);
  // Without the upgrade: 426; another tenant's: 404.
  EXPECT_EQ(d_.call("GET", "/v1/instances/term/exec", "", a).status, 426);
  EXPECT_EQ(d_.call("GET", "/v1/instances/term/exec", "", b).status, 404);
  Terminal t(d_.socket(), "/v1/instances/term/exec?command=%5B%22sh%22%5D&cols=80&rows=24", a);
  // While it is open, the tenant holds its one terminal (max_terminals_per_tenant): another
  // upgrade is refused with 429 before any terminal or process is made.
  auto second = d_.call("GET", "/v1/instances/term/exec", "", a,
                        {{"Connection", "Upgrade"},
                         {"Upgrade", "websocket"},
                         {"Sec-WebSocket-Version", "13"},
                         {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}});
  EXPECT_EQ(second.status, 429) << second.body;
  t.send(R"({"resize":{"cols":100,"rows":40}})", true);
  // An interactive shell on the instance's terminal: the new size reaches it.
  // (A resize reaches the shell through a signal: asked again until it shows. The marker
  // is computed by the shell, so the terminal's echo of the line does not match it.)
  bool resized = false;
  for (int i = 0; i < 50 && !resized; ++i) {
    t.send("stty size; echo mark$((1000+" + std::to_string(i) + "))\n");
    ASSERT_TRUE(t.read_until("mark" + std::to_string(1000 + i))) << t.output();
    resized = t.output().find("40 100") != std::string::npos;
  }
  EXPECT_TRUE(resized) << t.output();
  t.send("tty\n");
  EXPECT_TRUE(t.read_until("/dev/pts/")) << t.output();
  t.send("exit 7\n");
  std::string last = t.read_text();
  EXPECT_EQ(nlohmann::json::parse(last, nullptr, false), json({{"exit_status", 7}})) << last;
  EXPECT_TRUE(t.closed());

  // A client that goes away takes its command with it. (The first terminal's place is
  // given back once the server has let go of its connection: tried until then.)
  {
    std::unique_ptr<Terminal> gone;
    ASSERT_TRUE(wait_until(10000, [&] {
      try {
        gone = std::make_unique<Terminal>(
            d_.socket(),
            "/v1/instances/term/exec?command=%5B%22sh%22%2C%22-c%22%2C%22echo%20ready%3B"
            "%20exec%20sleep%201000%22%5D",
            a);
      } catch (const std::exception&) {
        return false;
      }
      return true;
    }));
    EXPECT_TRUE(gone->read_until("ready")) << gone->output();
    EXPECT_EQ(sleeping(a), std::optional<bool>(true));
  }
  EXPECT_TRUE(wait_until(30000, [&] { return !sleeping(a).value_or(true); }));
}

}  // namespace
}  // namespace cordon::testing
