# attls: application-transparent TLS for Linux.
# make | make test | make demo | make install (PREFIX, DESTDIR)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib/attls
BINDIR ?= $(PREFIX)/bin
B := build

CC ?= cc
WOLFSSL_SONAME := $(shell objdump -p $$(find /usr/lib /usr/lib64 -name 'libwolfssl.so' 2>/dev/null | head -1) 2>/dev/null | awk '/SONAME/ {print $$2}')
CPPFLAGS += -D_GNU_SOURCE -DATTLS_WOLFSSL_SONAME='"$(or $(WOLFSSL_SONAME),libwolfssl.so.35)"' \
	    -DATTLS_LIBDIR='"$(LIBDIR)"'
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -Wall -Wextra -Werror -fPIC -fvisibility=hidden -pthread
LDLIBS_LIB := -linih -ldl -pthread

LIB_SRC := $(wildcard lib/*.c)
SHIM_SRC := $(wildcard shim/*.c)
TOOL_SRC := $(wildcard tools/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
SHIM_OBJ := $(SHIM_SRC:%.c=$(B)/%.o)
TOOL_OBJ := $(TOOL_SRC:%.c=$(B)/%.o)

# Debian packages: to build, to test, the peers the tests use, and the
# benchmark's handshake client (bench/hsload.c, OpenSSL).
BUILD_PKGS := gcc make pkg-config libwolfssl-dev libinih-dev libgcrypt20-dev check
TEST_PKGS := openssl curl python3 procps iproute2 socat valgrind nginx redis-server \
	redis-tools mosquitto mosquitto-clients wrk default-jdk-headless softhsm2 opensc \
	stunnel4 libwww-perl python3-cryptography haproxy rabbitmq-server python3-pika strace \
	nodejs apache2
BENCH_PKGS := libssl-dev
PKGS := $(BUILD_PKGS) $(TEST_PKGS) $(BENCH_PKGS)

.PHONY: all deps test unit integration demo bench install clean check-boundary

all: $(B)/libattls.so $(B)/attls $(B)/boundary.ok

# Installs what is missing, on Debian (sudo when not root).
deps:
	@missing=$$(for p in $(PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(B)/%.o: %.c $(wildcard lib/*.h shim/*.h tools/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/libattls.so: $(LIB_OBJ) $(SHIM_OBJ)
	$(CC) -shared -o $@ $^ $(LDLIBS_LIB) -Wl,-z,defs -Wl,-z,now

# lib/ reaches the kernel only through its io table (lib/sysio.h): no
# object of lib/ may call a name the shim exports (a hook) or may come to
# hook, or that call would land in attls's own hook. sysio.o resolves them.
HOOKABLE := open open64 openat openat64 creat creat64 socket socketpair pipe pipe2 \
	eventfd signalfd timerfd_create memfd_create epoll_create epoll_create1 inotify_init \
	inotify_init1 fclose fcloseall fdopen syscall _Fork fork vfork __close close_range \
	closefrom pread pwrite preadv pwritev preadv2 pwritev2
$(B)/boundary.ok: $(B)/libattls.so $(filter-out $(B)/lib/sysio.o,$(LIB_OBJ))
	@hooks=$$( (nm -D --defined-only $(B)/libattls.so | awk '{print $$3}'; \
		printf '%s\n' $(HOOKABLE)) | sort -u); \
	bad=0; for o in $(filter-out $(B)/lib/sysio.o,$(LIB_OBJ)); do \
		for n in $$(nm -u $$o | awk '{print $$2}' | sed 's/@.*//'); do \
			if printf '%s\n' $$hooks | grep -qx -- "$$n"; then \
				echo "$$o calls $$n by its name: go through attls_io (lib/sysio.h)"; bad=1; fi; \
		done; done; [ $$bad = 0 ]
	@touch $@

check-boundary: $(B)/boundary.ok

$(B)/libattls-core.a: $(LIB_OBJ)
	ar rcs $@ $^

$(B)/attls: $(TOOL_OBJ) $(B)/libattls-core.a
	$(CC) -o $@ $^ $(LDLIBS_LIB)

# Unit tests (Check), then integration tests with real programs and peers.
UNIT_SRC := $(wildcard tests/unit/*.c)
$(B)/unit_tests: $(UNIT_SRC) $(B)/libattls-core.a
	$(CC) $(CPPFLAGS) -std=c11 -Wall -Wextra -Werror -g -pthread -o $@ $(UNIT_SRC) \
		$(B)/libattls-core.a $$(pkg-config --cflags --libs check) $(LDLIBS_LIB)

test: deps
	$(MAKE) all $(B)/unit_tests
	$(MAKE) unit integration

# The unit tests run once more under valgrind, in one process, to catch
# leaks and bad reads in the loader and matcher.
unit: $(B)/unit_tests
	cd tests/unit && CK_DEFAULT_TIMEOUT=30 ../../$(B)/unit_tests
	cd tests/unit && ATTLS_UNIT_QUICK=1 CK_FORK=no valgrind -q --error-exitcode=9 --leak-check=full \
		--suppressions=valgrind.supp \
		--errors-for-leak-kinds=definite ../../$(B)/unit_tests

# Stacked after attls in the tests: EAGAIN and short reads and writes.
$(B)/libfault.so: tests/fault/fault_inject.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -shared -o $@ $< -ldl

# Stacked after attls in the tests: user look-ups that fail.
$(B)/libpwfault.so: tests/fault/pw_fault.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -shared -o $@ $< -ldl

# The shim once more with AddressSanitizer and UBSan, for the tests that
# run real programs on it (tests/integration/sanitizers.sh).
$(B)/asan/libattls.so: $(LIB_SRC) $(SHIM_SRC) $(wildcard lib/*.h shim/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=c11 -Wall -Wextra -Werror -fPIC -fvisibility=hidden -pthread -g -O1 \
		-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
		-shared -o $@ $(LIB_SRC) $(SHIM_SRC) $(LDLIBS_LIB)

# The shim once more with ThreadSanitizer, for the thread and fork tests
# (tests/integration/tsan.sh).
$(B)/tsan/libattls.so: $(LIB_SRC) $(SHIM_SRC) $(wildcard lib/*.h shim/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=c11 -Wall -Wextra -Werror -fPIC -fvisibility=hidden -pthread -g -O1 \
		-fsanitize=thread -fno-omit-frame-pointer \
		-shared -o $@ $(LIB_SRC) $(SHIM_SRC) $(LDLIBS_LIB)

integration: all $(B)/libfault.so $(B)/libpwfault.so $(B)/asan/libattls.so $(B)/tsan/libattls.so
	tests/integration/run-all

demo: deps
	$(MAKE) all
	examples/broker/demo

# attls against the program's own TLS, stunnel and plain TCP, interleaved:
# bench/results/<timestamp>.md. BENCH_QUICK=1 for a short run.
bench: deps
	$(MAKE) all
	bench/run


install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(BINDIR)
	install -m 755 $(B)/libattls.so $(DESTDIR)$(LIBDIR)/libattls.so
	install -m 755 $(B)/attls $(DESTDIR)$(BINDIR)/attls

clean:
	rm -rf $(B)
