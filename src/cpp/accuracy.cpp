// The reference side of the ULP sweeps: plain C++ <cmath> in double (float32 sweeps) or
// long double (float64 sweeps), written from the formulas of SPEC §4 in tail-safe forms.
// The kernels under test are reached only through the KernelTable passed in.
#include "accuracy.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "threads.h"

namespace pyact {
namespace {

template <class R> R sigmoid(R z) {
  const R e = std::exp(-std::fabs(z));
  return z >= 0 ? 1 / (1 + e) : e / (1 + e);
}
template <class R> R ncdf(R x) { return std::erfc(-x / std::sqrt(R(2))) / 2; }
template <class R> R pi() { return R(3.14159265358979323846264338327950288L); }
template <class R> R gelu_tanh_z(R x) {
  return 2 * std::sqrt(2 / pi<R>()) * (x + R(0.044715L) * x * x * x);
}
// x - tanh x with its cancellation avoided by the series below |x| = 1/8.
template <class R> R tanhshrink(R x) {
  if (std::fabs(x) >= R(0.125)) return x - std::tanh(x);
  const R u = x * x;  // x^3/3 - 2x^5/15 + 17x^7/315 - 62x^9/2835 + 1382x^11/155925 - ...
  const R c[] = {R(1) / 3, R(-2) / 15, R(17) / 315, R(-62) / 2835, R(1382) / 155925, R(-21844) / 6081075,
                 R(929569) / 638512875, R(-6404582) / 10854718875.0L};
  R s = 0;
  for (int k = 7; k >= 0; --k) s = s * u + c[k];
  return x * u * s;
}

constexpr long double kSeluAlpha = 1.6732632423543772848170429916717L;
constexpr long double kSeluScale = 1.0507009873554804934193349852946L;

template <class R> struct Ref {
  R (*f)(R, const double*);
  R (*df)(R, const double*);
};

template <class R> bool ref_for(const std::string& k, Ref<R>& r) {
  using P = const double*;
#define REF(name, F, DF)                         \
  if (k == #name) {                              \
    r.f = [](R x, P p) -> R { (void)x; (void)p; F; };     \
    r.df = [](R x, P p) -> R { (void)x; (void)p; DF; };   \
    return true;                                 \
  }
  REF(elu, return x > 0 ? x : R(p[0]) * std::expm1(x), return x > 0 ? 1 : R(p[0]) * std::exp(x))
  REF(selu, return x > 0 ? R(kSeluScale) * x : R(kSeluScale) * R(kSeluAlpha) * std::expm1(x),
      return x > 0 ? R(kSeluScale) : R(kSeluScale) * R(kSeluAlpha) * std::exp(x))
  REF(celu, return x > 0 ? x : R(p[0]) * std::expm1(x / R(p[0])), return x > 0 ? 1 : std::exp(x / R(p[0])))
  REF(sigmoid, return sigmoid(x), return sigmoid(x) * sigmoid(-x))
  REF(log_sigmoid, return std::min(x, R(0)) - std::log1p(std::exp(-std::fabs(x))), return sigmoid(-x))
  REF(tanh, return std::tanh(x), {
    const R e = std::exp(-2 * std::fabs(x));
    return 4 * e / ((1 + e) * (1 + e));
  })
  REF(softplus, {
    const R z = R(p[0]) * x;
    return z > R(p[1]) ? x : (std::max(z, R(0)) + std::log1p(std::exp(-std::fabs(z)))) / R(p[0]);
  }, {
    const R z = R(p[0]) * x;
    return z > R(p[1]) ? 1 : sigmoid(z);
  })
  REF(swish, {
    const R z = R(p[0]) * x;
    if (std::isinf(x)) return z > 0 ? x : std::copysign(R(0), x);
    return x * sigmoid(z);
  }, {
    const R z = std::max(std::min(R(p[0]) * x, R(1000)), R(-1000));
    return sigmoid(z) + z * sigmoid(z) * sigmoid(-z);
  })
  REF(mish, {
    if (x == -std::numeric_limits<R>::infinity()) return -R(0);
    const R sp = std::max(x, R(0)) + std::log1p(std::exp(-std::fabs(x)));
    return x * std::tanh(sp);
  }, {
    const R xc = std::max(std::min(x, R(60)), R(-800));
    const R e = std::exp(xc);
    const R n = e * (e + 2);
    return n / (n + 2) + xc * 4 * (n + 1) / ((n + 2) * (n + 2)) * sigmoid(xc);
  })
  REF(gelu, {
    if (x < -40) return -R(0);
    return x * ncdf(x);
  }, {
    const R xc = std::max(std::min(x, R(40)), R(-40));
    return ncdf(x) + xc * std::exp(-xc * xc / 2) / std::sqrt(2 * pi<R>());
  })
  REF(gelu_tanh, {
    if (x < -30) return -R(0);
    return std::isinf(x) ? x : x * sigmoid(gelu_tanh_z(x));
  }, {
    const R xc = std::max(std::min(x, R(30)), R(-30));
    const R z = gelu_tanh_z(xc);
    const R s = sigmoid(z);
    return s + xc * s * sigmoid(-z) * 2 * std::sqrt(2 / pi<R>()) * (1 + 3 * R(0.044715L) * xc * xc);
  })
  REF(exponential, return std::exp(x), return std::exp(x))
  REF(tanhshrink, return tanhshrink(x), {
    const R t = std::tanh(x);
    return t * t;
  })
  // The parameter-free piecewise kernels at their defaults (exact: 0 ULP expected).
  REF(linear, return x, return 1)
  REF(relu6, return std::min(std::max(x, R(0)), R(6)), return x > 0 && x < 6 ? 1 : 0)
  REF(hard_tanh, return std::min(std::max(x, R(p[0])), R(p[1])), return x > R(p[0]) && x < R(p[1]) ? 1 : 0)
  REF(softsign, return std::isinf(x) ? std::copysign(R(1), x) : x / (1 + std::fabs(x)), {
    const R d = 1 + std::fabs(x);
    return 1 / d / d;
  })
#undef REF
  return false;
}

// Bits <-> ordered integers that count ULPs monotonically (±0 both 0).
inline int64_t ordered(float v) {
  int32_t i;
  std::memcpy(&i, &v, 4);
  return i < 0 ? int64_t(INT32_MIN) - i : i;
}
inline int64_t ordered(double v) {
  int64_t i;
  std::memcpy(&i, &v, 8);
  return i < 0 ? INT64_MIN - i : i;
}

inline uint64_t mix(uint64_t z) {  // splitmix64's finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

template <class T> T point(uint64_t i);
template <> float point<float>(uint64_t i) {
  const uint32_t b = static_cast<uint32_t>(i);
  float v;
  std::memcpy(&v, &b, 4);
  return v;
}
template <> double point<double>(uint64_t i) {
  const uint64_t b = (i << 32) | (mix(i) & 0xffffffffull);
  double v;
  std::memcpy(&v, &b, 8);
  return v;
}

constexpr int64_t kChunk = 1024;  // small enough that the kernel itself stays on one thread

template <class T, class R>
SweepResult sweep(const Ref<R>& ref, bool bwd, ElementwiseFn fn, uint64_t start, uint64_t stop, uint64_t step,
                  const double* params, double abs_tol) {
  const uint64_t npts = stop > start ? (stop - start + step - 1) / step : 0;
  const int64_t nchunks = static_cast<int64_t>((npts + kChunk - 1) / kChunk);
  int nthreads = 1;
#ifdef _OPENMP
  nthreads = std::max(1, thread_count());
#endif
  std::vector<SweepResult> part(nthreads);
  std::vector<int64_t> first_worst(nthreads, INT64_MAX), first_beyond(nthreads, INT64_MAX);
#ifdef _OPENMP
#pragma omp parallel num_threads(nthreads)
#endif
  {
    int tid = 0;
#ifdef _OPENMP
    tid = omp_get_thread_num();
#endif
    std::vector<T> x(kChunk), g(kChunk, T(1)), y(kChunk);
    SweepResult& r = part[tid];
    for (int64_t c = tid; c < nchunks; c += nthreads) {
      const uint64_t base = static_cast<uint64_t>(c) * kChunk;
      const int64_t m = static_cast<int64_t>(std::min<uint64_t>(kChunk, npts - base));
      for (int64_t j = 0; j < m; ++j) x[j] = point<T>(start + (base + j) * step);
      if (bwd) {
        const void* in[2] = {g.data(), x.data()};
        fn(in, y.data(), m, params);
      } else {
        const void* in[1] = {x.data()};
        fn(in, y.data(), m, params);
      }
      for (int64_t j = 0; j < m; ++j) {
        // SPEC §2: NaN in gives NaN out in both directions, whatever the formula says.
        const R want = std::isnan(x[j]) ? R(x[j]) : bwd ? ref.df(R(x[j]), params) : ref.f(R(x[j]), params);
        const T w = static_cast<T>(want), got = y[j];
        ++r.count;
        const bool gn = std::isnan(got), wn = std::isnan(w);
        if (gn || wn) {
          r.nan_mismatch += gn != wn;
          continue;
        }
        if ((std::isinf(got) || std::isinf(w)) && got != w) ++r.inf_mismatch;
        const double d = std::fabs(double(ordered(got) - ordered(w)));
        const int64_t idx = static_cast<int64_t>(base) + j;
        if (d > r.max_ulp || (d == r.max_ulp && d > 0 && idx < first_worst[tid])) {
          r.max_ulp = d;
          r.worst_x = x[j];
          r.worst_got = got;
          r.worst_ref = static_cast<double>(want);
          first_worst[tid] = idx;
        }
        const R diff = std::fabs(R(got) - want);
        const bool abs_ok = abs_tol > 0 && diff <= R(abs_tol) * std::max(R(1), std::fabs(want));
        if (!abs_ok && (d > r.max_ulp_beyond_abs || (d == r.max_ulp_beyond_abs && d > 0 && idx < first_beyond[tid]))) {
          r.max_ulp_beyond_abs = d;
          r.worst_x_beyond_abs = x[j];
          first_beyond[tid] = idx;
        }
      }
    }
  }
  // Combine in thread order, ties to the first point in sweep order: deterministic.
  SweepResult out;
  int64_t fw = INT64_MAX, fb = INT64_MAX;
  for (int t = 0; t < nthreads; ++t) {
    const SweepResult& r = part[t];
    out.count += r.count;
    out.nan_mismatch += r.nan_mismatch;
    out.inf_mismatch += r.inf_mismatch;
    if (r.max_ulp > out.max_ulp || (r.max_ulp == out.max_ulp && first_worst[t] < fw)) {
      out.max_ulp = r.max_ulp;
      out.worst_x = r.worst_x;
      out.worst_got = r.worst_got;
      out.worst_ref = r.worst_ref;
      fw = first_worst[t];
    }
    if (r.max_ulp_beyond_abs > out.max_ulp_beyond_abs ||
        (r.max_ulp_beyond_abs == out.max_ulp_beyond_abs && first_beyond[t] < fb)) {
      out.max_ulp_beyond_abs = r.max_ulp_beyond_abs;
      out.worst_x_beyond_abs = r.worst_x_beyond_abs;
      fb = first_beyond[t];
    }
  }
  return out;
}

int kernel_id(const std::string& name) {
  static const char* names[] = {
#define PYACT_ELEMENTWISE(name, Functor) #name,
#include "kernels/activations.inc"
#undef PYACT_ELEMENTWISE
  };
  for (int i = 0; i < kNumKernels; ++i)
    if (name == names[i]) return i;
  throw std::invalid_argument("ulp_sweep: unknown kernel '" + name + "'");
}

}  // namespace

std::vector<std::string> sweep_kernels() {
  std::vector<std::string> out;
  static const char* names[] = {
#define PYACT_ELEMENTWISE(name, Functor) #name,
#include "kernels/activations.inc"
#undef PYACT_ELEMENTWISE
  };
  for (const char* n : names) {
    Ref<double> r;
    if (ref_for<double>(n, r)) out.emplace_back(n);
  }
  return out;
}

SweepResult ulp_sweep(const std::string& kernel, const std::string& direction, Dtype dtype, uint64_t start,
                      uint64_t stop, uint64_t step, const KernelTable& table, const std::vector<double>& params,
                      double abs_tol) {
  if (direction != "fwd" && direction != "bwd") throw std::invalid_argument("ulp_sweep: direction must be 'fwd' or 'bwd'");
  if (step == 0) throw std::invalid_argument("ulp_sweep: step must be >= 1");
  if (stop > (uint64_t(1) << 32)) throw std::invalid_argument("ulp_sweep: stop must be <= 2**32");
  const bool bwd = direction == "bwd";
  const ElementwiseFns& fns = table.elementwise[kernel_id(kernel)];
  const double* p = params.data();
  if (dtype == Dtype::f32) {
    Ref<double> r;
    if (!ref_for<double>(kernel, r)) throw std::invalid_argument("ulp_sweep: no reference for '" + kernel + "'");
    return sweep<float, double>(r, bwd, bwd ? fns.bwd_x[1] : fns.fwd[1], start, stop, step, p, abs_tol);
  }
  if (dtype == Dtype::f64) {
    Ref<long double> r;
    if (!ref_for<long double>(kernel, r)) throw std::invalid_argument("ulp_sweep: no reference for '" + kernel + "'");
    return sweep<double, long double>(r, bwd, bwd ? fns.bwd_x[2] : fns.fwd[2], start, stop, step, p, abs_tol);
  }
  throw std::invalid_argument("ulp_sweep: dtype must be float32 or float64");
}

}  // namespace pyact
