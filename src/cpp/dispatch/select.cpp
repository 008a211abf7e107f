// Chooses the table once at import: the best ISA this build compiled and this CPU
// supports, or the one PYACT_ISA names (which must be both).
#include <array>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "dispatch/table.h"

namespace pyact {
namespace {
using FillFn = void (*)(KernelTable&);

FillFn fill_fn(Isa isa) {
  switch (isa) {
#ifdef PYACT_HAVE_SCALAR
    case Isa::scalar: return fill_table_scalar;
#endif
#ifdef PYACT_HAVE_SSE4
    case Isa::sse4: return fill_table_sse4;
#endif
#ifdef PYACT_HAVE_AVX2
    case Isa::avx2: return fill_table_avx2;
#endif
#ifdef PYACT_HAVE_AVX512
    case Isa::avx512: return fill_table_avx512;
#endif
#ifdef PYACT_HAVE_NEON
    case Isa::neon: return fill_table_neon;
#endif
    default: return nullptr;
  }
}

constexpr int kNumIsas = static_cast<int>(Isa::count);

struct Tables {
  std::array<KernelTable, kNumIsas> table{};
  std::array<bool, kNumIsas> ready{};
  Tables() {
    for (int i = 0; i < kNumIsas; ++i) {
      const Isa isa = static_cast<Isa>(i);
      FillFn fill = fill_fn(isa);
      if (fill && cpu_supports(isa)) {  // never run another ISA's code on this CPU
        table[i].isa = isa;
        fill(table[i]);
        ready[i] = true;
      }
    }
  }
};

Tables& tables() {
  static Tables t;
  return t;
}

const KernelTable* g_active = nullptr;

std::string valid_names() {
  std::string s;
  for (int i = 0; i < kNumIsas; ++i)
    if (tables().ready[i]) s += std::string(s.empty() ? "" : ", ") + isa_name(static_cast<Isa>(i));
  return s;
}
}  // namespace

const char* isa_name(Isa isa) {
  static const char* const names[] = {"scalar", "sse4", "avx2", "avx512", "neon"};
  const int i = static_cast<int>(isa);
  return i >= 0 && i < kNumIsas ? names[i] : "?";
}

bool isa_compiled(Isa isa) { return fill_fn(isa) != nullptr; }

const KernelTable* table_for(Isa isa) {
  const int i = static_cast<int>(isa);
  return i >= 0 && i < kNumIsas && tables().ready[i] ? &tables().table[i] : nullptr;
}

const KernelTable& active_table() { return *g_active; }

void use_isa(const char* name) {
  for (int i = 0; i < kNumIsas; ++i) {
    if (std::strcmp(name, isa_name(static_cast<Isa>(i))) != 0) continue;
    if (const KernelTable* t = table_for(static_cast<Isa>(i))) {
      g_active = t;
      return;
    }
    throw std::invalid_argument(std::string("PYACT_ISA='") + name + "' is not " +
                                (isa_compiled(static_cast<Isa>(i)) ? "supported by this CPU" : "compiled in this build") +
                                "; valid here: " + valid_names());
  }
  throw std::invalid_argument(std::string("PYACT_ISA='") + name + "' is not an ISA name; valid here: " + valid_names());
}

void select_at_import() {
  const char* forced = std::getenv("PYACT_ISA");
  if (forced && *forced) {
    use_isa(forced);
    return;
  }
  for (int i = kNumIsas - 1; i >= 0; --i)
    if (const KernelTable* t = table_for(static_cast<Isa>(i))) {
      g_active = t;
      return;
    }
}

}  // namespace pyact
