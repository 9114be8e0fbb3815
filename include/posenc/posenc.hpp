// posenc: transformer positional encodings. The single entry point: includes every public
// header except io/ (which needs nlohmann_json).
#pragma once

#include "config.hpp"
#include "version.hpp"
#include "status.hpp"
#include "concepts.hpp"
#include "tensor.hpp"
#include "math/angles.hpp"
#include "math/bfloat16.hpp"
#include "math/float16.hpp"
#include "kernels/dispatch.hpp"
#include "rotary/frequencies.hpp"
#include "rotary/rope.hpp"
#include "rotary/linear_attention.hpp"
#include "absolute/sinusoidal.hpp"
#include "absolute/learned.hpp"
#include "relative/t5.hpp"
#include "relative/alibi.hpp"
#include "relative/shaw.hpp"
#include "relative/xlnet.hpp"
#include "relative/deberta.hpp"
#include "attention.hpp"
