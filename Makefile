# Copyright the tbot-telemetry authors, Apache-2.0.
#
# Strict-mode Makefile in the style of connectrpc/connect-go's.
# See https://tech.davis-hansson.com/p/make/
SHELL := bash
.DELETE_ON_ERROR:
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --warn-undefined-variables
MAKEFLAGS += --no-builtin-rules
MAKEFLAGS += --no-print-directory

GO ?= go
# The one Go version of this repository: go.mod's go line. tools/go.mod,
# README.md and .ci/run name the same one; `make check-go-version` (part of
# `make test`) fails when they drift apart.
GO_VERSION := $(shell awk '$$1 == "go" {print $$2; exit}' go.mod)
# Codegen/lint tools are pinned with `tool` directives in tools/go.mod and run
# through `go tool`, which downloads them from the Go module proxy on first
# use and caches the built binaries, so nothing but Go is needed.
# GOWORK=off: -modfile cannot be combined with workspace mode. The plugins that
# buf starts (see buf.gen.yaml) inherit this environment.
TOOLS_MODFILE := tools/go.mod
GOTOOL := GOWORK=off $(GO) tool -modfile=$(TOOLS_MODFILE)
BUF := $(GOTOOL) buf
STATICCHECK := $(GOTOOL) staticcheck
NFPM := $(GOTOOL) nfpm

BIN_DIR := bin
BINARY := $(BIN_DIR)/tbot-telemetry
# Stamped into the binary (package-level vars in cmd/tbot-telemetry).
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# Extra flags for `go test`, e.g. make test GO_TEST_FLAGS='-run TestFoo -v'.
GO_TEST_FLAGS ?=
# How long `make fuzz` runs each fuzz target, and how much `make test` does.
# make test counts inputs rather than seconds: with a duration, Go 1.26's
# fuzzing coordinator can fail a target that found nothing, with "context
# deadline exceeded", when the time runs out while a worker is busy (fixed
# in Go 1.27); a count has no deadline to race. 3000 inputs take 0.4-2 s per
# target here.
FUZZTIME ?= 30s
CI_FUZZTIME ?= 3000x

# What the release is built for, and where it goes.
RELEASE_TARGETS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
DIST_DIR := dist
RELEASE_FILES := $(foreach t,$(RELEASE_TARGETS),tbot-telemetry-$(VERSION)-$(subst /,-,$(t)))
# The Linux targets also go out as .deb and .rpm packages (packaging/nfpm.yaml),
# named as the binaries are, with the package's format as the extension.
PACKAGE_FORMATS := deb rpm
PACKAGE_FILES := $(foreach t,$(filter linux/%,$(RELEASE_TARGETS)),$(foreach f,$(PACKAGE_FORMATS),tbot-telemetry-$(VERSION)-$(subst /,-,$(t)).$(f)))
# A package version that deb and rpm both accept, and sort as git describe
# means it: v0.3.0-5-gabc1234-dirty becomes 0.3.0+5.gabc1234.dirty (after
# 0.3.0), v1.2.3-rc.1 becomes 1.2.3~rc.1 (before 1.2.3), and a bare commit
# (no tag yet) or dev becomes 0.0.0+abc1234.
PACKAGE_VERSION := $(shell echo '$(VERSION)' | sed -E 's/^v([0-9])/\1/; /^[0-9]+[.][0-9]+/!s/^/0.0.0+/; \
	s/-([0-9]+)-g([0-9a-f]+)/+\1.g\2/; s/([+].*)-dirty$$/\1.dirty/; s/-dirty$$/+dirty/; s/-/~/g')
# The time stamped on every file in the packages: the commit's, so that two
# builds of one commit are byte-identical.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
# The drop-in as it goes into a package: tbot-telemetry in /usr/bin.
DROPIN_SOURCE := examples/systemd/tbot.service.d/telemetry.conf

# make install: where the binary goes ($(DESTDIR)$(PREFIX)/bin), and, with
# INSTALL_DROPIN=1, the systemd drop-in for the unit SYSTEMD_UNIT, which
# then runs the installed binary.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR := $(PREFIX)/bin
INSTALL_DROPIN ?=
SYSTEMD_UNIT ?= tbot
SYSTEMD_DROPIN_DIR ?= /etc/systemd/system/$(SYSTEMD_UNIT).service.d
# Nothing time- or path-dependent may reach a release binary: -trimpath drops
# file system paths, -buildid= the build ID, -buildvcs=false the VCS stamp
# (which names the time and whether the tree was modified; version and commit
# come from -X instead). The environment pins everything else that changes
# the output: exactly go.mod's Go (fetched through the module proxy when
# another is installed), no cgo, no GOFLAGS from the caller, baseline CPU
# levels.
RELEASE_LDFLAGS := -s -w -buildid= -X main.version=$(VERSION) -X main.commit=$(COMMIT)
RELEASE_ENV := GOTOOLCHAIN=go$(GO_VERSION) CGO_ENABLED=0 GOFLAGS= GOAMD64=v1 GOARM64=v8.0
# Where `release-check` builds its second copy; empty: a fresh cache, so that
# nothing of the first build is reused.
RELEASE_CHECK_GOCACHE ?=

# The wire shape that `buf breaking` holds proto/ to, besides the committed
# proto: upstream prehog's, which this program's events must keep (see
# README.md, "The event"). Written once by `make proto-baseline`, and never
# rewritten to make a breaking change pass.
BUF_BASELINE := proto/baseline.binpb

# A fingerprint of the whole work tree as git sees it: tracked changes and
# untracked files, contents included. checkgenerate compares it before and
# after `make generate`, so that it works in a tree with work in progress too.
TREE_STATE := { git status --porcelain=v1 --untracked-files=all; git diff --binary HEAD; \
	git ls-files -z --others --exclude-standard | xargs -0 -r sha256sum; } | sha256sum

.PHONY: help
help: ## Describe useful make targets
	@grep -E '^[a-zA-Z0-9_-]+:.*?## .*$$' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*?## "}; {printf "%-16s %s\n", $$1, $$2}'

.PHONY: build
build: ## Build bin/tbot-telemetry (static, stripped, version-stamped)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BINARY) ./cmd/tbot-telemetry

.PHONY: tools
tools: ## Download and build the pinned tools into the Go cache
	$(BUF) --version
	$(GOTOOL) protoc-gen-go --version
	$(GOTOOL) protoc-gen-connect-go --version
	$(STATICCHECK) -version
	$(NFPM) --version | grep ModuleSum

.PHONY: generate
generate: ## Format the protos, regenerate gen/ with buf, and every go:generate (docs/release-lines.md)
	$(BUF) format -w
	$(BUF) generate
	$(GO) generate ./...

.PHONY: checkgenerate
checkgenerate: ## Fail if `make generate` changes anything in the work tree
	@if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		echo "checkgenerate: not a git work tree, cannot compare generated files" >&2; \
		exit 1; \
	fi
	@# The whole tree, not only gen/ and proto/: a generator that writes
	@# anywhere else, or a new file that was never added, shows too. Under CI
	@# (a fresh clone) the tree must also be clean afterwards.
	@before="$$($(TREE_STATE))"; \
	$(MAKE) generate; \
	if [ "$$($(TREE_STATE))" != "$$before" ]; then \
		echo "checkgenerate: 'make generate' changed the work tree; commit its result:" >&2; \
		git status --short >&2; \
		exit 1; \
	fi; \
	if [ -n "$${CI:-}" ] && [ -n "$$(git status --porcelain)" ]; then \
		echo "checkgenerate: the work tree is not clean after 'make generate':" >&2; \
		git status --short >&2; \
		exit 1; \
	fi
	@echo "checkgenerate: generated code is up to date"

.PHONY: check-go-version
check-go-version: ## Fail unless go.mod, tools/go.mod, README.md and .ci/run name one Go version
	@want="$(GO_VERSION)"; fail=0; \
	tools="$$(awk '$$1 == "go" {print $$2; exit}' tools/go.mod)"; \
	if [ "$$tools" != "$$want" ]; then echo "check-go-version: tools/go.mod says go $$tools, go.mod says go $$want" >&2; fail=1; fi; \
	if ! grep -qx "export GOTOOLCHAIN=go$$want" .ci/run; then echo "check-go-version: .ci/run does not set GOTOOLCHAIN=go$$want" >&2; fail=1; fi; \
	if ! grep -q "Go $$want" README.md; then echo "check-go-version: README.md does not name Go $$want" >&2; fail=1; fi; \
	if [ "$$fail" = 0 ]; then echo "check-go-version: go $$want everywhere (building with $$($(GO) env GOVERSION))"; fi; \
	exit $$fail

.PHONY: tidy-check
tidy-check: ## Fail if `go mod tidy` would change go.mod/go.sum of either module
	GOWORK=off $(GO) mod tidy -diff
	@# Not -modfile=tools/go.mod from here: tidy would then take the root's
	@# packages for the tools module's own.
	cd tools && GOWORK=off $(GO) mod tidy -diff

.PHONY: breaking
breaking: ## buf breaking against the committed proto and upstream's wire shape
	$(BUF) breaking --against '.git#ref=HEAD'
	$(BUF) breaking --against $(BUF_BASELINE)

.PHONY: proto-baseline
proto-baseline: ## Write the wire baseline for `make breaking` (only for a deliberate new baseline)
	$(BUF) build --exclude-source-info -o $(BUF_BASELINE)

.PHONY: release
release: ## Static, stripped, reproducible binaries for every release target, .deb and .rpm packages, SHA256SUMS, in dist/
	rm -rf $(DIST_DIR)
	mkdir -p $(DIST_DIR)
	@for target in $(RELEASE_TARGETS); do \
		os="$${target%/*}"; arch="$${target#*/}"; \
		echo "release: $$os/$$arch"; \
		$(RELEASE_ENV) GOOS="$$os" GOARCH="$$arch" $(GO) build -trimpath -buildvcs=false -ldflags '$(RELEASE_LDFLAGS)' \
			-o "$(DIST_DIR)/tbot-telemetry-$(VERSION)-$$os-$$arch" ./cmd/tbot-telemetry; \
	done
	$(MAKE) packages DIST_DIR=$(DIST_DIR)
	cd $(DIST_DIR) && sha256sum $(RELEASE_FILES) $(PACKAGE_FILES) > SHA256SUMS
	@# The binary for this machine, if there is one, must run and say its version.
	@host="$(DIST_DIR)/tbot-telemetry-$(VERSION)-$$($(GO) env GOHOSTOS)-$$($(GO) env GOHOSTARCH)"; \
	if [ -e "$$host" ]; then \
		out="$$("$$host" version)"; \
		case "$$out" in \
		"tbot-telemetry $(VERSION) git:$(COMMIT) "*) ;; \
		*) echo "release: $$host version said: $$out" >&2; exit 1 ;; \
		esac; \
		echo "release: $$out"; \
	fi
	@cat $(DIST_DIR)/SHA256SUMS

.PHONY: packages
packages: ## .deb and .rpm packages of the Linux binaries already in DIST_DIR (part of release)
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	sed 's#/usr/local/bin/tbot-telemetry#/usr/bin/tbot-telemetry#' $(DROPIN_SOURCE) > "$$tmp/telemetry.conf"; \
	for target in $(filter linux/%,$(RELEASE_TARGETS)); do \
		arch="$${target#*/}"; \
		for format in $(PACKAGE_FORMATS); do \
			echo "packages: $(DIST_DIR)/tbot-telemetry-$(VERSION)-linux-$$arch.$$format ($(PACKAGE_VERSION))"; \
			PKG_ARCH="$$arch" PKG_VERSION="$(PACKAGE_VERSION)" PKG_BINARY="$(DIST_DIR)/tbot-telemetry-$(VERSION)-linux-$$arch" \
			PKG_DROPIN="$$tmp/telemetry.conf" SOURCE_DATE_EPOCH="$(SOURCE_DATE_EPOCH)" \
				$(NFPM) package --config packaging/nfpm.yaml --packager "$$format" \
				--target "$(DIST_DIR)/tbot-telemetry-$(VERSION)-linux-$$arch.$$format" >/dev/null; \
		done; \
	done

.PHONY: print-package-version
print-package-version: ## Print the version the packages get for VERSION
	@echo '$(PACKAGE_VERSION)'

.PHONY: install
install: ## Install bin/tbot-telemetry into $(DESTDIR)$(PREFIX)/bin; INSTALL_DROPIN=1 adds the systemd drop-in
	@if [ ! -x $(BINARY) ]; then $(MAKE) build; fi
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(BINARY) $(DESTDIR)$(BINDIR)/tbot-telemetry
	@if [ -n "$(INSTALL_DROPIN)" ]; then \
		install -d $(DESTDIR)$(SYSTEMD_DROPIN_DIR); \
		sed 's#/usr/local/bin/tbot-telemetry#$(BINDIR)/tbot-telemetry#' $(DROPIN_SOURCE) > $(DESTDIR)$(SYSTEMD_DROPIN_DIR)/telemetry.conf; \
		chmod 0644 $(DESTDIR)$(SYSTEMD_DROPIN_DIR)/telemetry.conf; \
		echo "install: $(DESTDIR)$(SYSTEMD_DROPIN_DIR)/telemetry.conf; then: systemctl daemon-reload && systemctl restart $(SYSTEMD_UNIT)"; \
	fi

.PHONY: uninstall
uninstall: ## Remove what install put in $(DESTDIR)$(PREFIX)/bin and, if there, the drop-in
	rm -f $(DESTDIR)$(BINDIR)/tbot-telemetry
	@if [ -e $(DESTDIR)$(SYSTEMD_DROPIN_DIR)/telemetry.conf ]; then \
		rm -f $(DESTDIR)$(SYSTEMD_DROPIN_DIR)/telemetry.conf; \
		rmdir $(DESTDIR)$(SYSTEMD_DROPIN_DIR) 2>/dev/null || true; \
		echo "uninstall: removed the drop-in; then: systemctl daemon-reload"; \
	fi

.PHONY: release-check
release-check: ## Build the release twice (from a copy elsewhere, with a fresh build cache) and compare SHA256SUMS (packages included)
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	$(MAKE) release DIST_DIR="$$tmp/first"; \
	mkdir "$$tmp/src"; \
	git ls-files -z --cached --others --exclude-standard \
		| tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$$tmp/src"; \
	GOCACHE="$${RELEASE_CHECK_GOCACHE:-$$tmp/gocache}" $(MAKE) -C "$$tmp/src" release \
		DIST_DIR="$$tmp/second" VERSION="$(VERSION)" COMMIT="$(COMMIT)" SOURCE_DATE_EPOCH="$(SOURCE_DATE_EPOCH)"; \
	if ! diff -u "$$tmp/first/SHA256SUMS" "$$tmp/second/SHA256SUMS"; then \
		echo "release-check: two builds of the same tree differ" >&2; exit 1; \
	fi; \
	echo "release-check: two builds are byte-identical"

.PHONY: test
test: check-go-version tidy-check checkgenerate lint breaking ## Every gate CI runs: versions, tidy, generate, lint, breaking, cross-compile, go test -race, fuzz
	@# The cross-compile of every release target, stamped and checksummed as
	@# `make release` does, into .tmp/ (release-check proves reproducibility).
	$(MAKE) release DIST_DIR=.tmp/cross
	$(GO) test -race -count=1 $(GO_TEST_FLAGS) ./...
	$(MAKE) fuzz FUZZTIME=$(CI_FUZZTIME)

.PHONY: test-short
test-short: ## go test without checkgenerate/vet/race, for quick iteration
	$(GO) test -count=1 $(GO_TEST_FLAGS) ./...

.PHONY: lint
lint: ## gofmt, go vet, staticcheck, buf lint and buf format checks
	@unformatted="$$(find . -name '*.go' -not -path './.git/*' -not -path './.tmp/*' \
		-not -path './bin/*' -not -path '*/testdata/*' -print0 | xargs -0 -r gofmt -l)"; \
	if [ -n "$$unformatted" ]; then \
		echo "gofmt: these files need formatting (run gofmt -w):" >&2; \
		echo "$$unformatted" >&2; \
		exit 1; \
	fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(BUF) lint
	$(BUF) format -d --exit-code

# Which mutant lists `make mutants` runs (hack/mutants/lists/NAME.txt): all
# when empty, and then the results are written to hack/mutants/RESULTS.md.
MUTANTS ?=
MUTANTS_JOBS ?= 1

.PHONY: mutants
mutants: ## Mutation check: each package's own tests against hand-written mutants (slow; not in CI)
	$(GO) run ./hack/mutants -j $(MUTANTS_JOBS) $(if $(MUTANTS),,-results hack/mutants/RESULTS.md) $(MUTANTS)

.PHONY: bench
bench: ## Run all benchmarks (no tests)
	$(GO) test -run '^$$' -bench . -benchmem ./...

.PHONY: bench-e2e
bench-e2e: ## Whole-process runs against curl and the bare child (hyperfine), peak memory, binary size
	bash bench/e2e.sh

.PHONY: fuzz
fuzz: ## Run every Fuzz target for FUZZTIME each (default 30s)
	@pkgs="$$($(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...)"; \
	found=0; \
	for pkg in $$pkgs; do \
		list="$$($(GO) test -list '^Fuzz' "$$pkg")"; \
		for target in $$(grep -E '^Fuzz' <<<"$$list" || true); do \
			found=1; \
			echo "==> $$pkg $$target (fuzztime $(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$${target}\$$" -fuzztime $(FUZZTIME) "$$pkg"; \
		done; \
	done; \
	if [ "$$found" = 0 ]; then echo "fuzz: no fuzz targets found"; fi

.PHONY: clean
clean: ## Remove build outputs (bin/, dist/, .tmp/)
	rm -rf $(BIN_DIR) $(DIST_DIR) .tmp
