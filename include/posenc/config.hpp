// Build-time configuration: overridable contract macros and portability helpers.
//
// Define any of these before including a posenc header to change them:
//   POSENC_ASSERT(cond, msg)  debug-only contract check on hot paths (default: assert-like,
//                             active unless NDEBUG; prints msg and aborts). The checked entry
//                             points never rely on it: they return a status instead.
//   POSENC_RESTRICT           the compiler's restrict qualifier.
#pragma once

#include <cstdio>
#include <cstdlib>

#ifndef POSENC_ASSERT
#ifdef NDEBUG
#define POSENC_ASSERT(cond, msg) ((void)0)
#else
#define POSENC_ASSERT(cond, msg)                                                          \
  ((cond) ? (void)0                                                                       \
          : (std::fprintf(stderr, "posenc: assertion '%s' failed at %s:%d: %s\n", #cond, \
                          __FILE__, __LINE__, msg),                                       \
             std::abort()))
#endif
#endif

#ifndef POSENC_RESTRICT
#if defined(__GNUC__) || defined(__clang__)
#define POSENC_RESTRICT __restrict__
#else
#define POSENC_RESTRICT
#endif
#endif

// x86 kernels are compiled with per-function target attributes and chosen at run time.
#if defined(__x86_64__) || defined(_M_X64)
#define POSENC_ARCH_X86_64 1
#else
#define POSENC_ARCH_X86_64 0
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#define POSENC_ARCH_AARCH64 1
#else
#define POSENC_ARCH_AARCH64 0
#endif
