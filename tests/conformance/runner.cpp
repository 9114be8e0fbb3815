// posenc_conformance: runs one conformance case (tests/conformance/cases/<name>) through the
// posenc CLI and compares the output with the case's expected.npy, as the outside harness
// (../shared/conformance/run.py) does:
//   - posenc exits 0 and writes the output;
//   - same shape; dtype <f4 for float results, <i8 for integer results;
//   - floats |got - expected| <= atol + rtol * |expected|, integers exactly.
// Usage: posenc_conformance --posenc PATH --case DIR
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <posenc/io/npy.hpp>
#include <string>
#include <vector>

#include "../support/run_process.hpp"

namespace fs = std::filesystem;

namespace {

int fail(const std::string& name, const std::string& why) {
  std::printf("FAIL %s  %s\n", name.c_str(), why.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string posenc, case_dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--posenc") posenc = fs::absolute(argv[i + 1]).string();
    else if (flag == "--case") case_dir = fs::absolute(argv[i + 1]).string();
  }
  if (posenc.empty() || case_dir.empty()) {
    std::fprintf(stderr, "usage: posenc_conformance --posenc PATH --case DIR\n");
    return 2;
  }
  const std::string name = fs::path(case_dir).filename().string();
  std::ifstream in(fs::path(case_dir) / "case.json");
  const auto c = nlohmann::json::parse(in, nullptr, false);
  if (c.is_discarded() || !c.contains("op") || !c.contains("args") || !c.contains("expected")) {
    return fail(name, "case.json is unreadable or incomplete");
  }

  const fs::path tmp = fs::temp_directory_path() / ("posenc-case-" + name + "-" + std::to_string(getpid()));
  fs::create_directories(tmp);
  const fs::path out = tmp / "out.npy";
  std::vector<std::string> cmd{posenc, c["op"].get<std::string>()};
  for (const auto& [flag, value] : c["args"].items()) {
    if (value.is_boolean()) {
      if (value.get<bool>()) cmd.push_back("--" + flag);
      continue;
    }
    std::string v = value.is_string() ? value.get<std::string>() : value.dump();
    if (value.is_string() && fs::is_regular_file(fs::path(case_dir) / v)) v = (fs::path(case_dir) / v).string();
    cmd.push_back("--" + flag);
    cmd.push_back(v);
  }
  cmd.push_back("--out");
  cmd.push_back(out.string());

  const auto [rc, err] = posenc::test::run_process(cmd, tmp);
  auto got = posenc::npy::load(out.string());
  fs::remove_all(tmp);
  if (rc != 0) return fail(name, "exit status " + std::to_string(rc) + ": " + err);
  if (!got) return fail(name, "no readable output: " + got.error().message());
  auto exp = posenc::npy::load((fs::path(case_dir) / c["expected"].get<std::string>()).string());
  if (!exp) return fail(name, "expected.npy: " + exp.error().message());
  if (got->shape != exp->shape) return fail(name, "shape differs from expected.npy");

  if (!posenc::npy::is_floating(exp->type)) {
    if (got->type != posenc::npy::dtype::i8) return fail(name, "dtype is not <i8");
    auto g = posenc::npy::to_int64(*got, "output");
    auto e = posenc::npy::to_int64(*exp, "expected");
    for (std::size_t i = 0; i < e->size(); ++i) {
      if ((*g)[i] != (*e)[i]) {
        return fail(name, "entry " + std::to_string(i) + ": got " + std::to_string((*g)[i]) +
                              ", expected " + std::to_string((*e)[i]));
      }
    }
    std::printf("PASS %s  exact\n", name.c_str());
    return 0;
  }
  if (got->type != posenc::npy::dtype::f4) return fail(name, "dtype is not <f4");
  const double rtol = c["rtol"].get<double>(), atol = c["atol"].get<double>();
  auto g = posenc::npy::to_float(*got, "output");
  // expected.npy may be <f8: compare against its full precision.
  std::vector<double> e(exp->size());
  if (exp->type == posenc::npy::dtype::f8) {
    std::memcpy(e.data(), exp->bytes.data(), e.size() * sizeof(double));
  } else {
    auto ef = posenc::npy::to_float(*exp, "expected");
    e.assign(ef->begin(), ef->end());
  }
  double max_abs = 0.0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    const double d = std::fabs(static_cast<double>((*g)[i]) - e[i]);
    if (!std::isfinite((*g)[i]) || d > atol + rtol * std::fabs(e[i])) {
      char msg[160];
      std::snprintf(msg, sizeof msg, "entry %zu: got %.9g, expected %.9g (atol %g, rtol %g)", i,
                    static_cast<double>((*g)[i]), e[i], atol, rtol);
      return fail(name, msg);
    }
    max_abs = std::max(max_abs, d);
  }
  std::printf("PASS %s  max_abs=%.3g (atol=%g rtol=%g)\n", name.c_str(), max_abs, atol, rtol);
  return 0;
}
