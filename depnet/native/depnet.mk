# depnet: Brian2's generated makefile of a cpp build, with a precompiled header (GCC).
#
# Run in the build folder as `make -f <this file>` (depnet.standalone.make_arguments, which
# passes it only where the compiler is GCC). It reads Brian2's `makefile` (its OBJS, CXXFLAGS and
# `all` goal), compiles depnet_pch.h once with the same flags into depnet_pch.h.gch in the build
# folder, and compiles every object with `-include depnet_pch.h`: g++ takes the precompiled file
# from the working folder, or, where it cannot use it, reads the header as text (from
# depnet/native, added to the include path).
#
# The precompiled file is an order-only prerequisite (its time stamp never remakes an object)
# and secondary (a missing one is made again only when an object is compiled); it is written
# under another name and renamed, so a killed compile leaves no truncated file behind. The
# objects and Brian2's dependency list depend on this file: other flags, another compile.

DEPNET_MAKEFILE := $(lastword $(MAKEFILE_LIST))
DEPNET_NATIVE := $(dir $(DEPNET_MAKEFILE))
include makefile

DEPNET_PCH_FLAGS := $(filter-out -c,$(CXXFLAGS))
CXXFLAGS += -I$(DEPNET_NATIVE) -include depnet_pch.h

depnet_pch.h.gch: $(DEPNET_NATIVE)depnet_pch.h makefile
	$(CXX) -x c++-header $(DEPNET_PCH_FLAGS) $< -o $@.partial && mv -f $@.partial $@

.SECONDARY: depnet_pch.h.gch
$(OBJS): $(DEPNET_MAKEFILE) | depnet_pch.h.gch
make.deps: $(DEPNET_MAKEFILE)
