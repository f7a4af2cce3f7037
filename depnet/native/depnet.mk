# depnet: Brian2's generated makefile of a cpp build, with a precompiled header.
#
# Run in the build folder as `make -f <this file>` (depnet.standalone.make_arguments). It reads
# Brian2's `makefile` (its OBJS, CXXFLAGS and `all` goal), compiles depnet_pch.h once with the
# same flags into depnet_pch.h.gch in the build folder, and compiles every object with
# `-include depnet_pch.h`: g++ takes the precompiled file from the working folder, or, where it
# cannot use it, reads the header as text (from depnet/native, added to the include path).
# The precompiled file is an order-only prerequisite: its time stamp never remakes an object.

DEPNET_NATIVE := $(dir $(lastword $(MAKEFILE_LIST)))
include makefile

DEPNET_PCH_FLAGS := $(filter-out -c,$(CXXFLAGS))
CXXFLAGS += -I$(DEPNET_NATIVE) -include depnet_pch.h

depnet_pch.h.gch: $(DEPNET_NATIVE)depnet_pch.h makefile
	$(CXX) -x c++-header $(DEPNET_PCH_FLAGS) $< -o $@

$(OBJS): | depnet_pch.h.gch
