package collect_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tbot-telemetry/tbot-telemetry/collect"
	"github.com/tbot-telemetry/tbot-telemetry/event"
	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha/prehogv1alphaconnect"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// fuzzContentTypes are the ways a body can reach the receiver; the fuzzer
// picks one by index. text/plain is one no protocol speaks.
var fuzzContentTypes = []string{
	"application/proto",
	"application/json",
	"application/grpc",
	"application/grpc-web+proto",
	"text/plain",
}

// fuzzHandlerBound bounds one request: the receiver reads at most
// collect.MaxRequestBytes, so anything near this is a hang.
const fuzzHandlerBound = 10 * time.Second

// fuzzRefusal is every reason the receiver may log for a refused event:
// names of fields and fixed limits, never a value that was sent.
var fuzzRefusal = regexp.MustCompile(`^(distinct_id is not a UUID in canonical form|timestamp is out of range|start event is missing|` +
	`run_mode is not one-shot or daemon|(version|join_type|helper|helper_version) is (longer than \d+ bytes|not valid UTF-8)|` +
	`destinations_(other|database|kubernetes|application) is not between 0 and \d+)$`)

var fuzzCanonicalUUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// fuzzSeedEvents are real events, with and without a timestamp, at the
// edges of what the receiver accepts, and just beyond them.
func fuzzSeedEvents() []*prehogv1alpha.SubmitTbotEventRequest {
	full := testsupport.Event()
	// With nanoseconds, which a line must cut to milliseconds.
	full.Timestamp = timestamppb.New(time.Date(2026, 11, 26, 6, 0, 0, 123_456_789, time.UTC))
	bare := &prehogv1alpha.SubmitTbotEventRequest{
		DistinctId: "FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF",
		Event: &prehogv1alpha.SubmitTbotEventRequest_Start{Start: &prehogv1alpha.TbotStartEvent{
			RunMode: prehogv1alpha.TbotStartEvent_RUN_MODE_DAEMON,
		}},
	}
	edges := proto.CloneOf(full)
	edges.GetStart().Version = strings.Repeat("v", collect.MaxStringBytes)
	hostile := "\u2028\"<script>\\\x00\x7f"
	edges.GetStart().Helper = hostile + strings.Repeat("é", (collect.MaxStringBytes-len(hostile))/2)
	edges.GetStart().DestinationsOther = collect.MaxCount
	tooLong := proto.CloneOf(full)
	tooLong.GetStart().HelperVersion = strings.Repeat("x", collect.MaxStringBytes+1)
	tooMany := proto.CloneOf(full)
	tooMany.GetStart().DestinationsApplication = collect.MaxCount + 1
	negative := proto.CloneOf(full)
	negative.GetStart().DestinationsKubernetes = -1
	noRunMode := proto.CloneOf(full)
	noRunMode.GetStart().RunMode = prehogv1alpha.TbotStartEvent_RUN_MODE_UNSPECIFIED
	badTime := proto.CloneOf(full)
	badTime.Timestamp = &timestamppb.Timestamp{Seconds: 1 << 40}
	notUUID := proto.CloneOf(full)
	notUUID.DistinctId = "{0b6f3c1e-8a4d-4e2b-9c7a-1d2e3f405162}"
	noStart := proto.CloneOf(full)
	noStart.Event = nil
	return []*prehogv1alpha.SubmitTbotEventRequest{full, bare, edges, tooLong, tooMany, negative, noRunMode, badTime, notUUID, noStart}
}

// envelope frames a message as gRPC and gRPC-Web carry it.
func envelope(flags byte, msg []byte) []byte {
	out := make([]byte, 5, 5+len(msg))
	out[0] = flags
	binary.BigEndian.PutUint32(out[1:], uint32(len(msg)))
	return append(out, msg...)
}

func contentTypeIndex(name string) uint8 {
	for i, ct := range fuzzContentTypes {
		if ct == name {
			return uint8(i)
		}
	}
	panic(name)
}

// FuzzHandler feeds the receiver arbitrary bodies under every content type
// and checks its promise: it never panics or hangs; it accepts exactly the
// well-formed, valid events; an accepted event adds exactly one line in the
// dry-run shape, and that line is exactly what the decoded event renders
// to, so no other byte of the body can reach it; a refused one adds nothing
// and logs only a fixed reason.
func FuzzHandler(f *testing.F) {
	for _, ev := range fuzzSeedEvents() {
		bin, err := proto.Marshal(ev)
		if err != nil {
			f.Fatal(err)
		}
		if js, err := protojson.Marshal(ev); err == nil {
			f.Add(contentTypeIndex("application/json"), js)
		} // else a timestamp JSON cannot spell; the binary seeds carry it
		f.Add(contentTypeIndex("application/proto"), bin)
		f.Add(contentTypeIndex("application/grpc"), envelope(0, bin))
		f.Add(contentTypeIndex("application/grpc-web+proto"), envelope(0, bin))
	}
	good, _ := proto.Marshal(fuzzSeedEvents()[0])
	for _, garbage := range [][]byte{
		nil,
		{0},
		[]byte("{}"),
		[]byte(`{"distinctId":"0b6f3c1e-8a4d-4e2b-9c7a-1d2e3f405162","start":{"runMode":"RUN_MODE_DAEMON","unknownField":"mkr"}}`),
		[]byte(`{"distinct_id":"0b6f3c1e-8a4d-4e2b-9c7a-1d2e3f405162","start":{"run_mode":1,"helper":"\ud800"}}`),
		append(good, good...),          // the same fields twice: the last wins
		append(good, 0xfa, 0x01, 0x00), // an unknown field
		envelope(1, good),              // compressed, with no encoding named
		envelope(0x80, good),           // a trailer frame where a message goes
		append(envelope(0, good), envelope(0, good)...),
		envelope(0, good)[:20],
		bytes.Repeat([]byte{0xff}, 64),
	} {
		for i := range fuzzContentTypes {
			f.Add(uint8(i), garbage)
		}
	}

	path := collect.NewReceiver(io.Discard, collect.Options{Now: time.Now, Log: slog.New(slog.DiscardHandler)}).Path()
	if path != "/"+prehogv1alphaconnect.TbotReportingServiceName+"/" {
		f.Fatalf("handler path %q", path)
	}
	received := testsupport.Now()

	f.Fuzz(func(t *testing.T, ctIndex uint8, body []byte) {
		contentType := fuzzContentTypes[int(ctIndex)%len(fuzzContentTypes)]
		var out, logs bytes.Buffer
		h := collect.NewReceiver(&out, collect.Options{Now: testsupport.Now, Log: slog.New(slog.NewJSONHandler(&logs, nil))})

		ctx, cancel := context.WithTimeout(context.Background(), fuzzHandlerBound)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1"+path+"SubmitTbotEvent", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Connect-Protocol-Version", "1")
		rec := httptest.NewRecorder()
		served := make(chan any, 1)
		go func() {
			defer func() { served <- recover() }()
			h.ServeHTTP(rec, req)
		}()
		select {
		case p := <-served:
			if p != nil {
				t.Fatalf("handler panicked: %v", p)
			}
		case <-time.After(fuzzHandlerBound):
			t.Fatalf("handler still running after %v", fuzzHandlerBound)
		}

		accepted := answeredSuccess(t, contentType, rec.Result())
		decoded, valid := decodeIndependently(contentType, body)

		if !accepted {
			if out.Len() != 0 {
				t.Fatalf("refused (%s), yet wrote %q", contentType, out.Bytes())
			}
			if valid {
				t.Fatalf("refused a valid event (%s): %v; answer %d %s", contentType, decoded, rec.Code, rec.Body.Bytes())
			}
			checkRefusalLogs(t, logs.Bytes())
			return
		}
		if !valid {
			t.Fatalf("accepted what is not one valid event (%s); wrote %q", contentType, out.Bytes())
		}
		if logs.Len() != 0 {
			t.Fatalf("logged for an accepted event: %s", logs.Bytes())
		}
		line := out.Bytes()
		if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
			t.Fatalf("accepted, wrote not exactly one line: %q", line)
		}
		checkEventLineShape(t, line)
		want, err := event.MarshalLine(decoded, received)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(line, want) {
			t.Fatalf("line is not what the decoded event renders to:\n got %s\nwant %s", line, want)
		}
	})
}

// answeredSuccess reads the outcome as a client of that protocol would:
// Connect says it in the HTTP status, gRPC and gRPC-Web in grpc-status,
// which may come in the headers (an error with no message), the HTTP
// trailers (gRPC) or a trailer frame in the body (gRPC-Web).
func answeredSuccess(t *testing.T, contentType string, res *http.Response) bool {
	t.Helper()
	body, _ := io.ReadAll(res.Body)
	switch contentType {
	case "application/proto", "application/json":
		return res.StatusCode == http.StatusOK
	case "text/plain":
		if res.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("text/plain answered %d, want 415", res.StatusCode)
		}
		return false
	}
	if res.StatusCode != http.StatusOK {
		return false
	}
	status := res.Header.Get("Grpc-Status")
	if status == "" {
		status = res.Trailer.Get("Grpc-Status")
	}
	if status == "" && contentType == "application/grpc-web+proto" {
		status = grpcWebTrailerStatus(body)
	}
	if status == "" {
		t.Fatalf("%s answer without grpc-status: headers %v, trailers %v", contentType, res.Header, res.Trailer)
	}
	return status == "0"
}

// grpcWebTrailerStatus finds grpc-status in the trailer frame of a gRPC-Web
// answer body.
func grpcWebTrailerStatus(body []byte) string {
	for len(body) >= 5 {
		flags, n := body[0], binary.BigEndian.Uint32(body[1:5])
		if uint64(n) > uint64(len(body)-5) {
			return ""
		}
		frame := body[5 : 5+n]
		body = body[5+n:]
		if flags&0x80 == 0 {
			continue
		}
		hdr, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(frame, '\r', '\n')))).ReadMIMEHeader()
		if err != nil && len(hdr) == 0 {
			return ""
		}
		return hdr.Get("Grpc-Status")
	}
	return ""
}

// decodeIndependently decodes the body as the protocol of contentType
// defines it, without the receiver's code, and says whether it is one event
// that the receiver must accept.
func decodeIndependently(contentType string, body []byte) (*prehogv1alpha.SubmitTbotEventRequest, bool) {
	var payload []byte
	switch contentType {
	case "application/proto", "application/json":
		payload = body
	case "application/grpc", "application/grpc-web+proto":
		// Exactly one uncompressed message and nothing after it.
		if len(body) < 5 || body[0] != 0 || uint64(binary.BigEndian.Uint32(body[1:5])) != uint64(len(body)-5) {
			return nil, false
		}
		payload = body[5:]
	default:
		return nil, false
	}
	if len(payload) > collect.MaxRequestBytes {
		return nil, false
	}
	req := &prehogv1alpha.SubmitTbotEventRequest{}
	var err error
	if contentType == "application/json" {
		err = protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(payload, req)
	} else {
		err = proto.Unmarshal(payload, req)
	}
	if err != nil {
		return nil, false
	}
	return req, validIndependently(req)
}

// validIndependently is what README.md says collect accepts ("Seeing what
// would be sent": it validates each event): an event that a tbot could have
// sent.
func validIndependently(req *prehogv1alpha.SubmitTbotEventRequest) bool {
	if !fuzzCanonicalUUID.MatchString(req.GetDistinctId()) {
		return false
	}
	if ts := req.GetTimestamp(); ts != nil && ts.CheckValid() != nil {
		return false
	}
	s := req.GetStart()
	if s == nil {
		return false
	}
	if m := s.GetRunMode(); m != prehogv1alpha.TbotStartEvent_RUN_MODE_ONE_SHOT && m != prehogv1alpha.TbotStartEvent_RUN_MODE_DAEMON {
		return false
	}
	for _, v := range []string{s.GetVersion(), s.GetJoinType(), s.GetHelper(), s.GetHelperVersion()} {
		if len(v) > collect.MaxStringBytes || !utf8.ValidString(v) {
			return false
		}
	}
	for _, c := range []int32{s.GetDestinationsOther(), s.GetDestinationsDatabase(), s.GetDestinationsKubernetes(), s.GetDestinationsApplication()} {
		if c < 0 || c > collect.MaxCount {
			return false
		}
	}
	return true
}

// checkEventLineShape checks a line against README.md's dry-run shape on its
// own terms: the four keys, the event name, a UUID, all nine properties,
// and values within the receiver's bounds.
func checkEventLineShape(t *testing.T, line []byte) {
	t.Helper()
	var raw struct {
		Event      *string                    `json:"event"`
		DistinctID *string                    `json:"distinct_id"`
		Timestamp  *string                    `json:"timestamp"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("line is not the dry-run shape (%v): %s", err, line)
	}
	if raw.Event == nil || *raw.Event != "tbot.start" || raw.DistinctID == nil || !fuzzCanonicalUUID.MatchString(*raw.DistinctID) || raw.Timestamp == nil {
		t.Fatalf("event, distinct_id or timestamp wrong: %s", line)
	}
	if _, err := time.Parse(event.TimestampFormat, *raw.Timestamp); err != nil {
		t.Fatalf("timestamp %q: %v", *raw.Timestamp, err)
	}
	if len(raw.Properties) != 9 {
		t.Fatalf("%d properties, want 9: %s", len(raw.Properties), line)
	}
	for _, name := range []string{"run_mode", "version", "join_type", "helper", "helper_version"} {
		var s string
		if err := json.Unmarshal(raw.Properties["tbot."+name], &s); err != nil || len(s) > collect.MaxStringBytes {
			t.Fatalf("tbot.%s is not a string of at most %d bytes: %s", name, collect.MaxStringBytes, line)
		}
		if name == "run_mode" && s != "one-shot" && s != "daemon" {
			t.Fatalf("run mode %q", s)
		}
	}
	for _, name := range []string{"other", "database", "kubernetes", "application"} {
		var n int64
		if err := json.Unmarshal(raw.Properties["tbot.destinations_"+name], &n); err != nil || n < 0 || n > collect.MaxCount {
			t.Fatalf("tbot.destinations_%s is not a count within 0..%d: %s", name, collect.MaxCount, line)
		}
	}
}

// checkRefusalLogs checks that whatever the receiver logged for a refusal
// names a field, never a value.
func checkRefusalLogs(t *testing.T, logs []byte) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(logs))
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		reason, _ := l["reason"].(string)
		if l["msg"] != "Refused an event." || len(l) != 4 || !fuzzRefusal.MatchString(reason) {
			t.Fatalf("unexpected log line for a refusal: %s", sc.Text())
		}
	}
}
