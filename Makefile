# Makefile — builds every brandpulse program into bin/, runs tests, demo and benchmarks.
#
# Layout convention (so that each folder owns its build lines):
#   common/*.c                    -> libbpcommon.a
#   filters/ collectors/ alerter/ replay/ tools/:
#       *_main.c                  -> a program (declared in that folder's module.mk)
#       every other *.c           -> that folder's library (libbp<folder>.a)
#   tests/unit/test_*.c           -> one unit-test binary each, linked with every library
#   tests/tools/*.c               -> test helpers (fake servers), built into $(BUILD)/tools/
# A folder's module.mk adds its programs:   PROGRAMS += bp-x   and   bp-x_MAIN := dir/x_main.c
#   (and bp-x_USES := filters  when it links another folder's library besides its own;
#    bp-x_NOLIB := 1 when it does not need its own folder's library)
# Any */*.mk file is included, so one folder may hold several such files.
#
# make SANITIZE=1 builds with ASan+UBSan into build/san (programs in build/san/bin).

CC      ?= cc
PKGS    := libcurl libpcre2-8 rdkafka jansson yaml-0.1 libmicrohttpd expat libcrypto
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

ifeq ($(SANITIZE),1)
BUILD   := build/san
BINDIR  := build/san/bin
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1
else
BUILD   := build/rel
BINDIR  := bin
SANFLAGS :=
OPT     := -O2
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lm -lpthread

CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Werror -Wno-unused-parameter \
           -Icommon -Ifilters -Icollectors -Ialerter -Ireplay -Itools -DBP_VERSION='"$(VERSION)"' $(SANFLAGS)
LDFLAGS += $(SANFLAGS)

PROGRAMS :=
-include $(wildcard */*.mk)

LIBDIRS  := replay alerter collectors filters tools
lib_srcs  = $(filter-out %_main.c,$(wildcard $(1)/*.c))
LIBS     := $(foreach d,$(LIBDIRS),$(if $(call lib_srcs,$(d)),$(BUILD)/libbp$(d).a)) $(BUILD)/libbpcommon.a

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TOOL_SRCS  := $(wildcard tests/tools/*.c)
TOOL_BINS  := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))
PROG_BINS  := $(addprefix $(BINDIR)/,$(PROGRAMS))

.PHONY: all deps test demo bench clean format unit tools
all: deps-check $(PROG_BINS)

# Installs missing Debian packages (a quick dpkg check when nothing is missing). PKG_CFLAGS and
# PKG_LIBS are expanded when recipes run, so a fresh machine builds in the same make call.
deps-check:
	@bash scripts/install-deps.sh

deps:
	@bash scripts/install-deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libbpcommon.a: $(patsubst %.c,$(BUILD)/%.o,$(wildcard common/*.c))
	@rm -f $@; ar rcs $@ $^
define LIB_template
$(BUILD)/libbp$(1).a: $$(patsubst %.c,$$(BUILD)/%.o,$$(call lib_srcs,$(1)))
	@rm -f $$@; ar rcs $$@ $$^
endef
$(foreach d,$(LIBDIRS),$(eval $(call LIB_template,$(d))))

# A program links its own folder's library, the folders named in bp-x_USES, and common.
prog_dirs = $(if $($(1)_NOLIB),,$(filter-out common,$(patsubst %/,%,$(dir $($(1)_MAIN))))) $($(1)_USES)
prog_libs = $(foreach d,$(call prog_dirs,$(1)),$(if $(call lib_srcs,$(d)),$(BUILD)/libbp$(d).a)) $(BUILD)/libbpcommon.a
define PROG_template
$(BINDIR)/$(1): $$(BUILD)/$$(patsubst %.c,%.o,$$($(1)_MAIN)) $$(call prog_libs,$(1))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$< $$(call prog_libs,$(1)) $$(PKG_LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call PROG_template,$(p))))

# A unit test links every library, unless test_x_USES names the folders it needs
# ("none" for common only), so that one folder's work in progress does not hold up the others.
test_libs = $(if $(filter undefined,$(origin $(1)_USES)),$(LIBS),$(foreach d,$(filter-out none,$($(1)_USES)),$(BUILD)/libbp$(d).a) $(BUILD)/libbpcommon.a)
define TEST_template
$(BUILD)/tests/$(1): $(BUILD)/tests/unit/$(1).o $$(call test_libs,$(1))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$< $$(call test_libs,$(1)) $$(PKG_LIBS)
endef
$(foreach t,$(patsubst tests/unit/%.c,%,$(UNIT_SRCS)),$(eval $(call TEST_template,$(t))))
$(BUILD)/tools/%: $(BUILD)/tests/tools/%.o $(BUILD)/libbpcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libbpcommon.a $(PKG_LIBS)

unit: deps-check $(UNIT_BINS)
tools: deps-check $(TOOL_BINS)

test: deps-check $(PROG_BINS) $(UNIT_BINS) $(TOOL_BINS)
	@BP_BIN=$(CURDIR)/$(BINDIR) BP_TOOLS=$(CURDIR)/$(BUILD)/tools BP_UNIT=$(CURDIR)/$(BUILD)/tests \
	  bash tests/run.sh $(T)

demo: deps-check $(PROG_BINS)
	@BP_BIN=$(CURDIR)/$(BINDIR) bash scripts/demo.sh

bench: deps-check $(PROG_BINS) $(TOOL_BINS)
	@BP_BIN=$(CURDIR)/$(BINDIR) BP_TOOLS=$(CURDIR)/$(BUILD)/tools bash scripts/bench.sh

format:
	clang-format -i $(wildcard */*.c */*.h tests/*/*.c tests/*/*.h)

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
