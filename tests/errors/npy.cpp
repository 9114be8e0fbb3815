// Rows of docs/errors.md for posenc/io/npy.hpp: the header parser, parse(), load(), the
// dtype conversions and save(). .npy images are built in memory; file rows use a private
// scratch directory, and failed writes must leave no file (nor the temporary) behind.
#include <posenc/io/npy.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../support/npy_bytes.hpp"
#include "rows.hpp"

namespace {

namespace fs = std::filesystem;
namespace npy = posenc::npy;
using posenc::errc;
using posenc::test::failed;
using posenc::test::npy_bytes;
using posenc::test::outcome;
using bytes = std::vector<unsigned char>;

const char* const header_file = "header.npy";  // the `what` of header rows
const std::string header_prefix = std::string(header_file) + ": malformed .npy header (";


// The header dict NumPy writes, with the given values.
std::string dict(const std::string& descr, const std::string& shape, const std::string& fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
}

// A valid [2, 3] <f4 image.
bytes good_image() { return npy_bytes(dict("<f4", "(2, 3)"), nullptr, 24); }

outcome parse_image(const bytes& b) { return failed(npy::parse(b, header_file)); }
outcome parse_header(const std::string& header_text, std::size_t data_bytes = 24) {
  return parse_image(npy_bytes(header_text, nullptr, data_bytes));
}

// good_image() with bytes [at, at + patch.size()) replaced, cut to `size` bytes.
bytes patched(std::size_t at, const bytes& patch, std::size_t size) {
  bytes b = good_image();
  std::copy(patch.begin(), patch.end(), b.begin() + static_cast<std::ptrdiff_t>(at));
  b.resize(size);
  return b;
}

// A parsed [3] array of the given dtype and element size, for the conversion rows.
npy::array array_of(const std::string& descr, std::size_t element_bytes) {
  return *npy::parse(npy_bytes(dict(descr, "(3,)"), nullptr, 3 * element_bytes), "a.npy");
}

// A private scratch directory, removed at exit.
struct scratch_dir {
  fs::path dir = fs::temp_directory_path() / ("posenc-rows-npy-" + std::to_string(::getpid()));
  scratch_dir() { fs::create_directories(dir); }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};
fs::path scratch(const std::string& name) {
  static const scratch_dir d;
  return d.dir / name;
}

// npy::save() of `elements` floats with shape [2, 3] to `path`.
posenc::status save_floats(const fs::path& path, std::size_t elements = 6) {
  const std::vector<float> data(elements, 1.0f);
  const std::vector<std::int64_t> shape{2, 3};
  return npy::save<float>(path.string(), data, shape);
}
bool has_temporary(const fs::path& path) { return fs::exists(path.string() + ".tmp-posenc"); }

// A failed save to a new path; untouched: no file at path nor at its temporary.
outcome save(const fs::path& path, std::size_t elements = 6) {
  const auto st = save_floats(path, elements);
  return failed(st, !fs::exists(path) && !has_temporary(path));
}

const std::string npy_hpp = "posenc/io/npy.hpp";
const std::string file_hpp = "posenc/detail/file.hpp";  // npy::load reads through it

const posenc::test::rows npy_rows{
    // detail::header_parser: the detail inside "<what>: malformed .npy header (... at offset i)".
    {npy_hpp, errc::parse_error, "header does not start with '{'",
     "header does not start with '{' at offset 2",
     [] { return parse_header("  ['descr']"); }},
    {npy_hpp, errc::parse_error, "expected a quoted key", "expected a quoted key at offset 2",
     [] { return parse_header("{ descr: '<f4'}"); }},
    {npy_hpp, errc::parse_error, "expected ':' after key '<key>'",
     "expected ':' after key 'descr' at offset 9",
     [] { return parse_header("{'descr' = '<f4'}"); }},
    {npy_hpp, errc::parse_error, "descr is not a string", "descr is not a string at offset 10",
     [] { return parse_header("{'descr': f4, 'fortran_order': False, 'shape': (2, 3), }"); }},
    {npy_hpp, errc::parse_error, "fortran_order is not True or False",
     "fortran_order is not True or False at offset 34",
     [] { return parse_header(dict("<f4", "(2, 3)", "0")); }},
    {npy_hpp, errc::parse_error, "duplicate key '<key>'", "duplicate key 'shape' at offset 65",
     [] { return parse_header("{'descr': '<f4', 'fortran_order': False, 'shape': (9,), 'shape': (2, 3), }"); }},
    {npy_hpp, errc::parse_error, "unexpected key '<key>'", "unexpected key 'order' at offset 26",
     [] { return parse_header("{'descr': '<f4', 'order': 'C', 'shape': (2, 3), }"); }},
    {npy_hpp, errc::parse_error, "expected ',' or '}'", "expected ',' or '}' at offset 15",
     [] { return parse_header("{'descr': '<f4'; 'fortran_order': False, 'shape': (2, 3), }"); }},
    {npy_hpp, errc::parse_error, "header lacks one of descr, fortran_order, shape",
     "header lacks one of descr, fortran_order, shape at offset 35",
     [] { return parse_header("{'descr': '<f4', 'shape': (2, 3), }"); }},
    {npy_hpp, errc::parse_error, "text after the closing '}'", "text after the closing '}' at offset 59",
     [] { return parse_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }, 'shape': (9,)"); }},
    {npy_hpp, errc::parse_error, "malformed .npy header (<what> at offset <i_>)", header_prefix,
     [] { return parse_header("{}"); }},
    {npy_hpp, errc::parse_error, "shape is not a tuple", "shape is not a tuple at offset 50",
     [] { return parse_header(dict("<f4", "[2, 3]")); }},
    {npy_hpp, errc::parse_error, "shape entry is not a non-negative integer",
     "shape entry is not a non-negative integer at offset 54",
     [] { return parse_header(dict("<f4", "(2, -3)")); }},
    {npy_hpp, errc::parse_error, "shape entry overflows int64", "shape entry overflows int64 at offset 72",
     [] { return parse_header(dict("<f4", "(2, 99999999999999999999)")); }},
    {npy_hpp, errc::parse_error, "expected ',' or ')' in shape", "expected ',' or ')' in shape at offset 52",
     [] { return parse_header(dict("<f4", "(2; 3)")); }},

    // detail::parse_descr, through parse().
    {npy_hpp, errc::unsupported, "big-endian .npy dtype '<d>' is not supported (save as little-endian)",
     "'>f8'", [] { return parse_header(dict(">f8", "(3,)")); }},
    {npy_hpp, errc::unsupported, "unsupported .npy dtype '<d>' (expected <f2, <f4, <f8, <i4 or <i8)", "'|b1'",
     [] { return parse_header(dict("|b1", "(3,)"), 3); }},

    // parse()
    {npy_hpp, errc::parse_error, "<what>: not a .npy file (bad magic)", "header.npy: not a .npy file",
     [] { return parse_image(patched(1, {'n', 'u', 'm', 'p', 'y'}, 64 + 24)); }},
    {npy_hpp, errc::parse_error, "<what>: truncated .npy header", "header.npy: truncated .npy header",
     [] { return parse_image(patched(6, {2, 0}, 11)); }},
    {npy_hpp, errc::unsupported,
     "<what>: .npy format version <major>.<minor> is not supported (expected 1.0 or 2.0)", "version 1.1",
     [] { return parse_image(patched(6, {1, 1}, 64 + 24)); }},
    {npy_hpp, errc::parse_error,
     "<what>: truncated .npy header (<header_len> header bytes announced, <b.size() - offset> present)",
     "(118 header bytes announced, 30 present)", [] { return parse_image(patched(0, {}, 40)); }},
    {npy_hpp, errc::unsupported, "<what>: Fortran-order arrays are not supported (save with C order)",
     "header.npy: Fortran-order", [] { return parse_header(dict("<f4", "(2, 3)", "True")); }},
    {npy_hpp, errc::parse_error, "<what>: shape <shape_text()> is too large (its byte count overflows int64)",
     "(4294967296,0,1073741824,)",
     [] { return parse_header(dict("<i8", "(4294967296, 0, 1073741824)"), 0); }},
    {npy_hpp, errc::parse_error,
     "<what>: shape <shape_text()> of <dtype_descr(out.type)> needs <needed> data bytes, the file has <data_bytes>",
     "(2,3,) of <f8 needs 48 data bytes, the file has 24",
     [] { return parse_header(dict("<f8", "(2, 3)")); }},

    // load()
    {file_hpp, errc::io_error, "cannot open '<path>': <std::strerror(errno)>", "missing.npy': No such file",
     [] { return failed(npy::load(scratch("missing.npy").string())); }},
    {file_hpp, errc::io_error, "cannot read '<path>'", "a-directory'",
     [] {
       // fopen() opens a directory for reading; fread() then fails with EISDIR.
       fs::create_directories(scratch("a-directory"));
       return failed(npy::load(scratch("a-directory").string()));
     }},

    // to_float(), to_int64()
    {npy_hpp, errc::invalid_argument, "<what>: expected a floating array, got dtype <dtype_descr(a.type)>",
     "ids.npy: expected a floating array, got dtype <i8",
     [] { return failed(npy::to_float(array_of("<i8", 8), "ids.npy")); }},
    {npy_hpp, errc::invalid_argument, "<what>: expected an integer array, got dtype <dtype_descr(a.type)>",
     "positions.npy: expected an integer array, got dtype <f2",
     [] { return failed(npy::to_int64(array_of("<f2", 2), "positions.npy")); }},

    // save()
    {npy_hpp, errc::shape_mismatch, "npy::save: <data.size()> elements do not match the shape's <n>",
     "5 elements do not match the shape's 6", [] { return save(scratch("five.npy"), 5); }},
    {npy_hpp, errc::io_error, "cannot write '<path>': <std::strerror(errno)>",
     "no-such-dir/out.npy': No such file or directory",
     [] { return save(scratch("no-such-dir") / "out.npy"); }},
    {npy_hpp, errc::io_error, "cannot write '<path>': <std::strerror(err)>", "taken': Is a directory",
     [] {
       // The temporary is written, then rename() onto an existing directory fails: the
       // temporary must be removed and the directory left as it was (still empty).
       const fs::path taken = scratch("taken");
       fs::create_directories(taken);
       const auto st = save_floats(taken);
       return failed(st, fs::is_directory(taken) && fs::is_empty(taken) && !has_temporary(taken));
     }},
};

}  // namespace
