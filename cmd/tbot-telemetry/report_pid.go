package main

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/ownflags"
	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/probe"
	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/procattach"
	"github.com/tbot-telemetry/tbot-telemetry/config"
	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/optin"
	"github.com/tbot-telemetry/tbot-telemetry/release"
	"github.com/tbot-telemetry/tbot-telemetry/supervise"
)

// validatePID checks --pid and what it does not go with.
func validatePID(f *eventFlags, tbotArgs []string) *misuse {
	if f.PID == "" {
		return nil
	}
	pid, err := strconv.Atoi(f.PID)
	if err != nil || pid <= 0 {
		return &misuse{flag: "--pid", value: f.PID, problem: "--pid is not a process ID.", hint: "a number above zero, such as systemd's $MAINPID"}
	}
	f.pid = pid
	if len(tbotArgs) > 0 {
		return &misuse{flag: "--pid", problem: "--pid reads tbot's arguments from the process; give no tbot arguments with it."}
	}
	if f.isGiven(ownflags.TbotPath) {
		return &misuse{flag: "--tbot-path", problem: "--tbot-path does not go with --pid, which asks the process's own binary for its version."}
	}
	return nil
}

// runReportPID is `report --pid`: the start event of a tbot that is
// already running, read from its process (package procattach) as report
// reads TBOT_ARGS. Whether telemetry is enabled, and where to send, are
// this program's own environment's to say (a unit's ExecStartPost= line);
// tbot's arguments, file and environment are the process's. Logs follow
// this program's own flags: tbot's are not known before its process is
// read, and nothing is read when telemetry is off.
func runReportPID(ctx context.Context, sys *system, flags *eventFlags) error {
	log := flags.logger(sys, nil)
	ctx, cancel := context.WithTimeout(ctx, flags.deadline)
	defer cancel()
	err := deliverWith(ctx, sys, log, flags, optin.Decide(sys.env.Get), func(ctx context.Context) (*prehogv1alpha.SubmitTbotEventRequest, error) {
		return attachedEvent(ctx, sys, log, flags, flags.pid)
	})
	return flags.failure(err)
}

// attachedEvent reads the running tbot and derives its event, or returns
// none (and logs why): when it cannot be read, is not a start, or sends
// its own event.
func attachedEvent(ctx context.Context, sys *system, log *slog.Logger, flags *eventFlags, pid int) (*prehogv1alpha.SubmitTbotEventRequest, error) {
	// Waiting for tbot's exec and asking it for its version share the
	// probe's part of the deadline.
	probeCtx, cancel := probe.Share(ctx)
	defer cancel()
	waited := false
	proc, err := procattach.Attach(probeCtx, pid, func() {
		if !waited {
			waited = true
			log.Debug("Waiting for the process to become tbot (its start may not have reached the exec yet).")
		}
	})
	if err != nil {
		log.Warn("Not sending anonymous telemetry: could not read the running tbot.", "reason", err.Error())
		return nil, err
	}
	if len(proc.Argv) < 2 {
		log.Debug("Not a tbot start; no anonymous telemetry to send.")
		return nil, nil
	}

	version, probeErr := flags.TbotVersion, error(nil)
	if version == "" {
		sup := supervise.New(supervise.Options{})
		version, probeErr = probe.VersionOf(probeCtx, sup, proc.Exe, proc.Argv[0], proc.Environ)
		sup.Close()
	}
	tbotEnv := config.Env(proc.Env())
	if optin.TbotOptedIn(tbotEnv.Get) && sendsItsOwnEvent(version) {
		log.Info("Not sending anonymous telemetry: this tbot sends its own start event, and one start is one event.",
			"reason", "tbot's own "+optin.EnvTelemetry+" is true")
		return nil, nil
	}

	// tbot reads its relative paths (-c, @file arguments, TBOT_CONFIG_PATH)
	// from its working directory, and so does this program from here on.
	if sys.chdir != nil {
		if err := sys.chdir(proc.Dir); err != nil {
			log.Warn("Not sending anonymous telemetry: could not enter the running tbot's working directory.")
			return nil, err
		}
	}
	tbotSys := *sys
	tbotSys.env = tbotEnv
	return buildEvent(ctx, &tbotSys, log, flags, proc.Argv[1:], func(context.Context) (string, error) {
		return version, probeErr
	})
}

// sendsItsOwnEvent says whether tbot of this version, opted in, sends its
// start event itself: every release from the first one that sends, and an
// unknown one, which is read as the newest. release.For judges a version
// older than the first that sends as that first one, so the table says
// where that is.
func sendsItsOwnEvent(version string) bool {
	v, ok := release.ParseVersion(version)
	return !ok || !v.Less(release.For(version).Version)
}
