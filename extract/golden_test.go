package extract

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// testOptions are the options of the corpus mailbox.
func testOptions() Options {
	return Options{
		Alias:        "statements@liaison.example.org",
		OwnAddresses: []string{"lsmt@liaison.example.org"},
		Now:          func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) },
	}
}

// scoredFields are the schema keys the project's scorer compares.
var scoredFields = []string{"kind", "title", "purpose", "deadline", "from_bodies", "from_contacts",
	"from_liaison_contact", "to_bodies", "to_contacts", "to_liaison_contact", "references", "attachments",
	"thread_statement", "flags"}

func normStr(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// normValue turns a JSON value into a comparable string: lists become
// sorted sets, strings are case- and whitespace-folded, null is "".
func normValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return normStr(x)
	case []any:
		set := map[string]bool{}
		for _, e := range x {
			set[normValue(e)] = true
		}
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return "[" + strings.Join(keys, "|") + "]"
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// fieldMatches applies the scorer rules: equal to the truth, or to one of
// its alternatives.
func fieldMatches(field string, got any, truth map[string]any) bool {
	g := normValue(got)
	if g == normValue(truth[field]) {
		return true
	}
	alts, _ := truth["alternatives"].(map[string]any)
	list, _ := alts[field].([]any)
	for _, a := range list {
		if g == normValue(a) {
			return true
		}
	}
	return false
}

type scoreBoard struct {
	ok, total map[string]int
}

func newScoreBoard() *scoreBoard {
	return &scoreBoard{ok: map[string]int{}, total: map[string]int{}}
}

func (s *scoreBoard) report(t *testing.T, name string) {
	var b strings.Builder
	sumOK, sumAll := 0, 0
	for _, f := range scoredFields {
		fmt.Fprintf(&b, "  %-22s %3d/%-3d %6.1f%%\n", f, s.ok[f], s.total[f], 100*float64(s.ok[f])/float64(max(1, s.total[f])))
		sumOK += s.ok[f]
		sumAll += s.total[f]
	}
	t.Logf("%s per-field accuracy (overall %d/%d = %.1f%%):\n%s", name, sumOK, sumAll, 100*float64(sumOK)/float64(max(1, sumAll)), b.String())
}

// runGolden extracts every NAME.eml under dir and compares it with NAME.json.
func runGolden(t *testing.T, dir string) {
	emls, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(emls) == 0 {
		t.Fatalf("no mails in %s: %v", dir, err)
	}
	board := newScoreBoard()
	for _, eml := range emls {
		name := strings.TrimSuffix(filepath.Base(eml), ".eml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(eml)
			if err != nil {
				t.Fatal(err)
			}
			raw = expandMail(t, raw, dir)
			want, err := os.ReadFile(strings.TrimSuffix(eml, ".eml") + ".json")
			if err != nil {
				t.Fatal(err)
			}
			var truth map[string]any
			if err := json.Unmarshal(want, &truth); err != nil {
				t.Fatalf("parse %s.json: %v", name, err)
			}
			res := Extract(context.Background(), raw, testOptions())
			out, err := res.JSON()
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			for _, f := range scoredFields {
				if _, ok := got[f]; !ok {
					t.Errorf("key %s missing from the JSON", f)
				}
				board.total[f]++
				if fieldMatches(f, got[f], truth) {
					board.ok[f]++
					continue
				}
				g, _ := json.Marshal(got[f])
				w, _ := json.Marshal(truth[f])
				t.Errorf("%s: got %s, want %s", f, g, w)
			}
			if t.Failed() {
				t.Logf("problems: %+v", res.Problems)
			}
			// Extra checks a truth file may carry.
			if exp, ok := truth["expect"].(map[string]any); ok {
				checkExpect(t, got, exp)
			}
		})
	}
	board.report(t, dir)
}

// checkExpect compares the extra keys of an own test mail ("expect":
// {"bounce/send_id": 42, "problems": ["ambiguous-date"], ...}): a slash-separated
// path into the JSON, and for "problems" the codes that must be present.
func checkExpect(t *testing.T, got map[string]any, exp map[string]any) {
	t.Helper()
	for path, want := range exp {
		if path == "problems" {
			var codes []string
			for _, p := range got["problems"].([]any) {
				codes = append(codes, p.(map[string]any)["code"].(string))
			}
			for _, w := range want.([]any) {
				found := false
				for _, c := range codes {
					if c == w {
						found = true
					}
				}
				if !found {
					t.Errorf("problem %v missing; have %v", w, codes)
				}
			}
			continue
		}
		var cur any = got
		for _, k := range strings.Split(path, "/") {
			switch c := cur.(type) {
			case map[string]any:
				cur = c[k]
			case []any:
				var i int
				fmt.Sscan(k, &i)
				if i < len(c) {
					cur = c[i]
				} else {
					cur = nil
				}
			default:
				cur = nil
			}
		}
		if normValue(cur) != normValue(want) {
			g, _ := json.Marshal(cur)
			w, _ := json.Marshal(want)
			t.Errorf("%s: got %s, want %s", path, g, w)
		}
	}
}

func TestGoldenCorpus(t *testing.T) { runGolden(t, filepath.Join("testdata", "corpus")) }

func TestGoldenMails(t *testing.T) { runGolden(t, filepath.Join("testdata", "mails")) }

// TestGoldenRedTeam runs the mails a red team wrote against the extractor.
func TestGoldenRedTeam(t *testing.T) { runGolden(t, filepath.Join("testdata", "redteam")) }

// TestDump prints the JSON of one test mail: DUMP=testdata/mails/x.eml.
func TestDump(t *testing.T) {
	p := os.Getenv("DUMP")
	if p == "" {
		t.Skip("set DUMP=path.eml")
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	raw = expandMail(t, raw, filepath.Dir(p))
	out, _ := Extract(context.Background(), raw, testOptions()).JSON()
	t.Logf("%s", out)
}
