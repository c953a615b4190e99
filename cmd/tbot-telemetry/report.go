package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/ownflags"
	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/probe"
	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/event"
	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/optin"
	"github.com/tbot-telemetry/tbot-telemetry/release"
	"github.com/tbot-telemetry/tbot-telemetry/report"
)

// runReport is `report`: derive the event for tbot's arguments and send it
// (or print it), always exiting 0 unless --strict.
func runReport(ctx context.Context, sys *system, flags *eventFlags, tbotPath string, tbotArgs []string) error {
	log := flags.logger(sys, tbotArgs)
	warnOwnFlag(log, tbotArgs)
	ctx, cancel := context.WithTimeout(ctx, flags.deadline)
	defer cancel()
	err := deliver(ctx, sys, log, flags, optin.Decide(sys.env.Get), tbotArgs, func(ctx context.Context) (string, error) {
		return probe.Version(ctx, tbotPath, sys.env["PATH"], sys.env.List())
	})
	return flags.failure(err)
}

// deliver is the work of report and exec alike: say whether telemetry is
// enabled, then derive the event and send it, or print it under --dry-run.
// It logs every outcome itself; the error it returns is only for --strict.
func deliver(ctx context.Context, sys *system, log *slog.Logger, flags *eventFlags, decision optin.Decision,
	tbotArgs []string, probe func(context.Context) (string, error)) error {
	return deliverWith(ctx, sys, log, flags, decision, func(ctx context.Context) (*prehogv1alpha.SubmitTbotEventRequest, error) {
		return buildEvent(ctx, sys, log, flags, tbotArgs, probe)
	})
}

// deliverWith is deliver with the event built by build, which logs why
// when it returns none.
func deliverWith(ctx context.Context, sys *system, log *slog.Logger, flags *eventFlags, decision optin.Decision,
	build func(context.Context) (*prehogv1alpha.SubmitTbotEventRequest, error)) error {
	if !flags.DryRun && !decision.Enabled {
		log.Info(decision.LogMessage(), "reason", decision.Reason)
		return nil
	}
	// Under --dry-run, whether telemetry is enabled changes nothing, and
	// "not enabled" beside the event it prints would read as a contradiction.
	message := decision.LogMessage()
	if flags.DryRun {
		message = dryRunMessage
	}
	if log.Enabled(ctx, slog.LevelDebug) {
		// Which build says so, for whoever reads a debug log later.
		b := sys.build
		log.Info(message, "tbot_telemetry_version", b.Version, "commit", b.Commit, "modified", b.Modified,
			"go_version", b.GoVersion, "platform", b.Platform)
	} else {
		log.Info(message)
	}
	req, err := build(ctx)
	if req == nil {
		return err
	}
	if flags.DryRun {
		line, err := event.MarshalLine(req, sys.now())
		if err == nil {
			// One write, so that the line stays whole among a child's output.
			_, err = sys.stdout.Write(line)
		}
		if err != nil {
			log.Warn("Could not print the anonymous telemetry event.", "error", err)
		}
		return err
	}
	opts := report.SendOptions{Endpoint: report.Endpoint(flags.Endpoint, sys.env.Get), Client: sys.httpClient, Getenv: sys.env.Get, Logger: log}
	if err := report.Send(ctx, opts, req); err != nil {
		log.Warn("Failed to send anonymous telemetry.", "error", err)
		return err
	}
	return nil
}

// buildEvent derives the event for tbot's arguments, by the rules of the
// release of tbot that they start. It returns a nil event with a nil error
// when there is nothing to send (not a start), and a nil event with the
// error, already logged, when it could not be built.
func buildEvent(ctx context.Context, sys *system, log *slog.Logger, flags *eventFlags, tbotArgs []string,
	askVersion func(context.Context) (string, error)) (*prehogv1alpha.SubmitTbotEventRequest, error) {
	if len(tbotArgs) == 0 {
		log.Info("No tbot arguments given, so no tbot start to report.", "hint", "give tbot's arguments after --, as in: report -- start -c /etc/tbot.yaml")
		return nil, nil
	}
	if !config.IsStart(tbotArgs) {
		log.Debug("Not a tbot start; no anonymous telemetry to send.")
		return nil, nil
	}
	version := flags.TbotVersion
	if version == "" {
		probeCtx, cancel := probe.Share(ctx)
		var err error
		version, err = askVersion(probeCtx)
		cancel()
		if err != nil {
			log.Warn("Could not ask tbot for its version; reporting none, by the newest tbot's rules. Give --tbot-version (or, for report, --tbot-path).",
				"reason", err.Error())
		}
	}
	rel := release.For(version)
	log.Debug("Reading tbot's arguments as this tbot release does.", "release", rel.Version.String(), "open", rel.Open)
	inv, err := config.ParseArgs(tbotArgs, sys.env, rel)
	if errors.Is(err, config.ErrNotStart) {
		log.Debug("Not a tbot start; no anonymous telemetry to send.")
		return nil, nil
	}
	if err != nil {
		log.Warn("Not sending anonymous telemetry.", "reason", err.Error())
		return nil, err
	}
	for _, s := range inv.Skipped {
		log.Debug("Passed over a tbot argument this program does not know.", "argument", s)
	}
	view, err := inv.Load()
	if err != nil {
		log.Warn("Not sending anonymous telemetry.", "reason", err.Error())
		return nil, err
	}
	req, err := event.Derive(view, sys.env, version, event.Sources{Now: sys.now, NewID: sys.newID})
	if err != nil {
		log.Warn("Not sending anonymous telemetry.", "reason", err.Error())
		return nil, err
	}
	return req, nil
}

// dryRunMessage is the info line of --dry-run, in place of whether
// telemetry is enabled.
const dryRunMessage = "Dry run: the anonymous telemetry event is printed on stdout and not sent."

// warnOwnFlag warns about a flag of this program's own among tbot's
// arguments, where it goes to tbot instead (report -- --dry-run start).
func warnOwnFlag(log *slog.Logger, tbotArgs []string) {
	if flag := ownflags.Among(tbotArgs); flag != "" {
		log.Warn("A tbot-telemetry flag is among tbot's arguments, after --, where it goes to tbot; put it before --.", "flag", flag)
	}
}

// logger logs as tbot's own arguments say, unless this program's flags say
// otherwise.
func (f *eventFlags) logger(sys *system, tbotArgs []string) *slog.Logger {
	hints := config.ReadLogHints(tbotArgs, sys.env)
	format := f.LogFormat
	if format == "" {
		format = hints.LogFormat
	}
	return newClockedLogger(sys.stderr, format, f.Debug || hints.Debug, sys.now)
}

// failure is the exit status of an event that was not built or sent: none,
// unless --strict.
func (f *eventFlags) failure(err error) error {
	if f.Strict && err != nil {
		return exitFailure
	}
	return nil
}
