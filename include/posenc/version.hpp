// posenc version macros. Kept in step with project(VERSION) in CMakeLists.txt.
#pragma once

#define POSENC_VERSION_MAJOR 0
#define POSENC_VERSION_MINOR 1
#define POSENC_VERSION_PATCH 0
#define POSENC_VERSION (POSENC_VERSION_MAJOR * 10000 + POSENC_VERSION_MINOR * 100 + POSENC_VERSION_PATCH)
#define POSENC_VERSION_STRING "0.1.0"

namespace posenc {
/// The library version as "major.minor.patch".
inline constexpr const char* version_string = POSENC_VERSION_STRING;
}  // namespace posenc
