/* depnet: the standard headers that every generated C++ source of a cpp build includes,
 * compiled once per build into a precompiled header (depnet_pch.h.gch, by depnet.mk).
 *
 * Parsing these takes about two thirds of compiling one of Brian2's code objects (~0.4 of
 * ~0.6 s with g++ -O3: ~70,000 lines each); a build of the circuit with learning compiles ~130
 * of them. Only standard headers are listed: their content does not depend on the network, and
 * included first (g++ -include) they change no generated code's meaning. Where g++ cannot use
 * the precompiled file (other flags) it reads this header as text; depnet passes it to GCC only.
 */
#ifndef DEPNET_PCH_H
#define DEPNET_PCH_H

#include <algorithm>
#include <cassert>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#endif
