package store_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"liaison"
	"liaison/store"
)

// TestBigCaptureMemory measures what a 50 MB message costs: it captures one
// 50 MB message, then 200 small ones in separate commits (which land beside
// it in the file), and reports the peak RSS (VmHWM) and the bytes allocated.
// It measures in a fresh process, so the figure is not the test binary's
// earlier history. It only runs with STORE_MEMPROBE=1:
//
//	STORE_MEMPROBE=1 go test -run TestBigCaptureMemory -v ./store/
func TestBigCaptureMemory(t *testing.T) {
	if os.Getenv("STORE_MEMPROBE") == "" {
		t.Skip("set STORE_MEMPROBE=1 to measure")
	}
	if os.Getenv("STORE_MEMPROBE_CHILD") != "" {
		memProbeChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBigCaptureMemory$", "-test.v")
	cmd.Env = append(os.Environ(), "STORE_MEMPROBE_CHILD=1", "STORE_MEMPROBE_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		if strings.Contains(line, "memprobe:") {
			t.Log(strings.TrimSpace(line[strings.Index(line, "memprobe:"):]))
		}
	}
}

func memProbeChild(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(os.Getenv("STORE_MEMPROBE_DIR"), "probe.db")
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Built before the baseline reading: the test's own 50 MB is not
	// the store's.
	big := bigRaw(50 << 20)
	r := rand.New(rand.NewPCG(3, 4))
	small := make([][]byte, 200)
	for i := range small {
		small[i] = smallRaw(r, i)
	}
	runtime.GC()
	hwm0 := vmHWM(t)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	if _, err := db.Capture(ctx, "INBOX", 1, []store.Captured{{UID: 1, Raw: big}}); err != nil {
		t.Fatal(err)
	}
	var ms1a runtime.MemStats
	runtime.ReadMemStats(&ms1a)
	hwmBig := vmHWM(t)
	for i, raw := range small {
		if _, err := db.Capture(ctx, "INBOX", 1, []store.Captured{{UID: uint32(2 + i), Raw: raw}}); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&ms1)
	hwm1 := vmHWM(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("memprobe: baseline VmHWM %d MB (the test's own 50 MB message included)", hwm0>>10)
	t.Logf("memprobe: after the 50 MB capture: VmHWM %d MB, allocated %d MB", hwmBig>>10, (ms1a.TotalAlloc-ms0.TotalAlloc)>>20)
	t.Logf("memprobe: after 200 small commits: VmHWM %d MB, allocated %d MB in total (%d MB by the small commits)",
		hwm1>>10, (ms1.TotalAlloc-ms0.TotalAlloc)>>20, (ms1.TotalAlloc-ms1a.TotalAlloc)>>20)
	t.Logf("memprobe: file %d MB", fi.Size()>>20)
}

// vmHWM reads the process's peak resident set size in KB.
func vmHWM(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		var kb int64
		if _, err := fmt.Sscanf(s.Text(), "VmHWM: %d kB", &kb); err == nil {
			return kb
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

func bigRaw(n int) []byte {
	b := make([]byte, 0, n+78)
	b = append(b, "Message-ID: <big@example.net>\r\nFrom: a@example.net\r\nSubject: big annex\r\n"+
		"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"...)
	r := rand.New(rand.NewPCG(5, 6))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for len(b) < n {
		for range 76 {
			b = append(b, alphabet[r.IntN(64)])
		}
		b = append(b, '\r', '\n')
	}
	return b
}

func smallRaw(r *rand.Rand, i int) []byte {
	n := 2000 + r.IntN(30000)
	var b strings.Builder
	fmt.Fprintf(&b, "Message-ID: <small%d.%d@example.net>\r\nFrom: a@example.net\r\nSubject: LS %d\r\n\r\n", i, r.Uint64(), i)
	for b.Len() < n {
		b.WriteString(benchWords[r.IntN(len(benchWords))])
		b.WriteByte(' ')
	}
	return []byte(b.String())
}

// BenchmarkCapture captures batches of 100 ordinary mails (2-32 KB), one
// fsynced transaction per batch, as ingest does.
func BenchmarkCapture(b *testing.B) {
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	r := rand.New(rand.NewPCG(7, 8))
	ctx := context.Background()
	var uid uint32
	var bytes int64
	for b.Loop() {
		b.StopTimer()
		batch := make([]store.Captured, 100)
		for i := range batch {
			uid++
			batch[i] = store.Captured{UID: uid, Raw: smallRaw(r, int(uid))}
			bytes += int64(len(batch[i].Raw))
		}
		b.StartTimer()
		if _, err := db.Capture(ctx, "INBOX", 1, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(bytes)/1e6/b.Elapsed().Seconds(), "MB/s")
}

// TestChunkedRoundTrip stores values around the chunk size (256 KiB) as
// messages and blobs and reads them back both ways; Check at cleanup
// verifies the chunks.
func TestChunkedRoundTrip(t *testing.T) {
	const chunk = 256 << 10
	db := openTest(t)
	for _, n := range []int{0, 1, chunk - 1, chunk, chunk + 1, 3*chunk + 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			data := make([]byte, n)
			for i := range data {
				data[i] = byte(i*7 + n)
			}
			raw := append(rawMail(fmt.Sprintf("rt%d@example.net", n), "round trip"), data...)
			var m liaison.Message
			var sha string
			update(t, db, func(tx *store.Tx) error {
				if err := tx.PutMessage(&m, raw); err != nil {
					return err
				}
				var err error
				sha, err = tx.PutBlob(data)
				return err
			})
			view(t, db, func(tx *store.Tx) error {
				for _, c := range []struct {
					name string
					want []byte
					get  func() ([]byte, error)
					put  func(w io.Writer) (int64, error)
				}{
					{"message", raw, func() ([]byte, error) { return tx.MessageRaw(m.SHA256) },
						func(w io.Writer) (int64, error) { return tx.WriteMessageRaw(m.SHA256, w) }},
					{"blob", data, func() ([]byte, error) { return tx.Blob(sha) },
						func(w io.Writer) (int64, error) { return tx.WriteBlob(sha, w) }},
				} {
					got, err := c.get()
					if err != nil || !bytes.Equal(got, c.want) {
						t.Errorf("%s: read %d bytes (%v), want %d", c.name, len(got), err, len(c.want))
					}
					var w bytes.Buffer
					if k, err := c.put(&w); err != nil || k != int64(len(c.want)) || !bytes.Equal(w.Bytes(), c.want) {
						t.Errorf("%s: wrote %d bytes (%v), want %d", c.name, k, err, len(c.want))
					}
				}
				return nil
			})
		})
	}
}
