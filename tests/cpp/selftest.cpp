// Kernel self-test without Python: runs every elementwise kernel of every ISA table this
// CPU can run (scalar + neon on aarch64 under qemu-aarch64; scalar/sse4/avx2/avx512 on
// x86-64) over the cases written by make_selftest_data.py (float64 references from
// tests/reference.py), for float32 and float64, forward, backward from x and (where the
// kernel and parameters allow it) from y, on every prefix length up to 40 and the whole
// list (tails of every vector width). Prints "N passed, N failed".
//
//   build_selftest.sh g++ ./selftest && python tests/cpp/make_selftest_data.py > c.txt && ./selftest c.txt
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dispatch/table.h"

using namespace pyact;

namespace {

const char* const kKernelNames[] = {
#define PYACT_ELEMENTWISE(name, Functor) #name,
#include "kernels/activations.inc"
#undef PYACT_ELEMENTWISE
};

struct Case {
  std::string name, kernel;
  bool y_ok = false;
  std::vector<double> params, x, g, y, dx;
};

std::vector<double> read_doubles(std::istringstream& in, size_t n) {
  std::vector<double> v(n);
  std::string tok;
  for (size_t i = 0; i < n && in >> tok; ++i) v[i] = std::strtod(tok.c_str(), nullptr);  // hex floats, inf, nan
  return v;
}

std::vector<Case> read_cases(const char* path) {
  std::ifstream f(path);
  std::vector<Case> cases;
  std::string line, tag;
  size_t n = 0;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    in >> tag;
    if (tag == "case") {
      Case c;
      int y_ok = 0, np = 0;
      in >> c.name >> c.kernel >> y_ok >> np;
      c.y_ok = y_ok;
      c.params = read_doubles(in, np);
      cases.push_back(c);
    } else if (tag == "x") {
      in >> n;
      cases.back().x = read_doubles(in, n);
    } else if (tag == "g") {
      cases.back().g = read_doubles(in, n);
    } else if (tag == "y") {
      cases.back().y = read_doubles(in, n);
    } else if (tag == "dx") {
      cases.back().dx = read_doubles(in, n);
    }
  }
  return cases;
}

int kernel_id(const std::string& name) {
  for (int i = 0; i < kNumKernels; ++i)
    if (name == kKernelNames[i]) return i;
  return -1;
}

// |got - ref| within rtol * max(1, |ref|) after rounding ref to T; NaN only where NaN.
template <class T>
bool close(T got, double ref, double rtol) {
  const double r = static_cast<double>(static_cast<T>(ref)), v = static_cast<double>(got);
  if (std::isnan(r) || std::isnan(v)) return std::isnan(r) && std::isnan(v);
  if (std::isinf(r) || std::isinf(v)) return r == v;
  return std::fabs(v - r) <= rtol * std::fmax(1.0, std::fabs(r));
}

template <class T>
std::vector<T> cast(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

int g_passed = 0, g_failed = 0;

template <class T>
void check(const char* isa, const Case& c, const char* what, ElementwiseFn fn, std::vector<const T*> in,
           const std::vector<double>& ref, double rtol) {
  const int64_t total = static_cast<int64_t>(ref.size());
  for (int64_t n = 1; n <= total; n = (n < 40 ? n + 1 : (n == total ? total + 1 : total))) {
    std::vector<T> out(n + 1, T(-12345));  // one guard element past the end
    const void* ptrs[2] = {in[0], in.size() > 1 ? in[1] : nullptr};
    fn(ptrs, out.data(), n, c.params.data());
    bool ok = out[n] == T(-12345);
    int64_t bad = -1;
    for (int64_t i = 0; i < n && ok; ++i)
      if (!close<T>(out[i], ref[i], rtol)) ok = false, bad = i;
    if (ok) {
      ++g_passed;
    } else {
      ++g_failed;
      std::printf("FAIL %s %s %s %s n=%lld", isa, c.name.c_str(), sizeof(T) == 4 ? "f32" : "f64", what,
                  static_cast<long long>(n));
      if (bad >= 0)
        std::printf(" at x=%a: got %a want %a", c.x[bad], static_cast<double>(out[bad]), ref[bad]);
      std::printf("\n");
    }
  }
}

template <class T>
void run_case(const char* isa, const ElementwiseFns& fns, const Case& c, int dt, double rtol) {
  const auto x = cast<T>(c.x), g = cast<T>(c.g), y = cast<T>(c.y);
  check<T>(isa, c, "fwd", fns.fwd[dt], {x.data()}, c.y, rtol);
  check<T>(isa, c, "bwd_x", fns.bwd_x[dt], {g.data(), x.data()}, c.dx, 4 * rtol);
  if (c.y_ok && fns.bwd_y[dt]) {
    // From y: only where y determines x's derivative (finite y), as the Python tests do.
    check<T>(isa, c, "bwd_y", fns.bwd_y[dt], {g.data(), y.data()}, c.dx, 4 * rtol);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CASES.txt (from tests/cpp/make_selftest_data.py)\n", argv[0]);
    return 2;
  }
  const auto cases = read_cases(argv[1]);
  if (cases.empty()) {
    std::fprintf(stderr, "no cases in %s\n", argv[1]);
    return 2;
  }
  for (int i = 0; i < static_cast<int>(Isa::count); ++i) {
    const Isa isa = static_cast<Isa>(i);
    const KernelTable* t = table_for(isa);
    if (!t) continue;
    std::printf("isa %s\n", isa_name(isa));
    for (const Case& c : cases) {
      const int k = kernel_id(c.kernel);
      if (k < 0) {
        ++g_failed;
        std::printf("FAIL %s: no kernel %s\n", c.name.c_str(), c.kernel.c_str());
        continue;
      }
      run_case<float>(isa_name(isa), t->elementwise[k], c, static_cast<int>(Dtype::f32), 2e-6);
      run_case<double>(isa_name(isa), t->elementwise[k], c, static_cast<int>(Dtype::f64), 1e-13);
    }
  }
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed ? 1 : 0;
}
