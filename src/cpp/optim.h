// The trainer's optimiser step (pyact/mlp.py): PyTorch's Adam and SGD update rules
// (torch.optim, single-tensor path) operation for operation, in one pass over (param,
// grad, state), in the parameter's dtype; optionally the squared gradient norms of given
// pieces, read in the same pass. Bound as _core.adam_step / sgd_step (bind_optim.cpp).
#pragma once
#include <cstdint>

namespace pyact {
namespace optim {

struct AdamArgs {
  double lr, beta1, beta2, eps, weight_decay;
  int64_t step;  // from 1
};

// Optionally, the float64 sum of grad^2 over each piece [bounds[k], bounds[k+1]) of the
// parameter (the trainer's per-layer gradient norms), read in the same pass as the update.
struct SqNorms {
  const int64_t* bounds = nullptr;  // pieces + 1 offsets, 0 ... n, non-decreasing
  int64_t pieces = 0;
  double* out = nullptr;            // pieces sums; nullptr: none wanted
};

// T = float or double. In place on p, m, v (Adam) / p, buf (SGD); g is only read.
template <class T> void adam(T* p, const T* g, T* m, T* v, int64_t n, const AdamArgs& a, const SqNorms& sq);
// buf may be null when momentum == 0; first: the buffer's first step (buf = grad).
template <class T>
void sgd(T* p, const T* g, T* buf, int64_t n, double lr, double momentum, bool nesterov, double weight_decay,
         bool first, const SqNorms& sq);

}  // namespace optim
}  // namespace pyact
