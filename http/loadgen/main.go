// Command loadgen drives a running Yishi server from a separate process on
// loopback and reports throughput and latency percentiles per concurrency
// level, for docs/performance.md. It sends one request shape: a GET of a
// path, or a POST of a JSON body; in bodies, {{alt}} alternates between
// "a" and "b" per request (so that repeated votes are changes, not
// repeats).
//
//	go run ./http/loadgen -url http://127.0.0.1:8080/v1/board -token yst_… -c 1,8,32 -d 10s
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	url := fs.String("url", "", "the URL to request")
	method := fs.String("method", "GET", "GET or POST")
	body := fs.String("body", "", "JSON body of POSTs; {{alt}} alternates a/b")
	token := fs.String("token", "", "bearer token")
	levels := fs.String("c", "1,8,32", "comma-separated concurrency levels")
	dur := fs.Duration("d", 10*time.Second, "duration of each level")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !strings.HasPrefix(*url, "http://127.") && !strings.HasPrefix(*url, "http://localhost") && !strings.HasPrefix(*url, "http://[::1]") {
		return errors.New("-url must be a loopback http:// address")
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 1024}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	fmt.Fprintf(out, "%s %s, %s per level\n\n| concurrency | requests | req/s | p50 ms | p90 ms | p99 ms | non-2xx |\n| --- | --- | --- | --- | --- | --- | --- |\n", *method, *url, *dur)
	for _, l := range strings.Split(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(l))
		if err != nil || n < 1 {
			return fmt.Errorf("bad concurrency %q", l)
		}
		r := level(client, n, *dur, *method, *url, *body, *token)
		fmt.Fprintf(out, "| %d | %d | %.0f | %.2f | %.2f | %.2f | %d |\n", n, len(r.lat), float64(len(r.lat))/dur.Seconds(),
			pct(r.lat, 50), pct(r.lat, 90), pct(r.lat, 99), r.bad)
	}
	return nil
}

type result struct {
	lat []time.Duration
	bad int64
}

// level runs n workers for d, each sending requests back to back.
func level(client *http.Client, n int, d time.Duration, method, url, body, token string) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	var bad, seq atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for ctx.Err() == nil {
				b := body
				if seq.Add(1)%2 == 0 {
					b = strings.ReplaceAll(b, "{{alt}}", "a")
				} else {
					b = strings.ReplaceAll(b, "{{alt}}", "b")
				}
				req, err := http.NewRequest(method, url, bytes.NewReader([]byte(b)))
				if err != nil {
					bad.Add(1)
					return
				}
				if b != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				start := time.Now()
				res, err := client.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				mine = append(mine, time.Since(start))
				if res.StatusCode >= 300 {
					bad.Add(1)
				}
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(all)
	return result{lat: all, bad: bad.Load()}
}

// pct is the nearest-rank percentile of sorted latencies, in milliseconds.
func pct(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return float64(sorted[max(i-1, 0)].Microseconds()) / 1000
}
