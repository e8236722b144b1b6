package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	yhttp "github.com/yishi-civic/yishi/http"
)

// remote is a Yishi server seen from another machine, through its public
// proof routes and, with an auditor's token, its log.
type remote struct {
	base   string
	token  string
	client *http.Client
}

// newRemote checks base, a server's URL such as https://yishi.example.
func newRemote(base, token string) (*remote, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--url %q: want http(s)://host[:port]", base)
	}
	return &remote{base: strings.TrimSuffix(base, "/"), token: token, client: &http.Client{Timeout: 10 * time.Minute}}, nil
}

// get requests path and returns the answer's body when its status is 200;
// otherwise an error with the server's problem detail.
func (r *remote) get(ctx context.Context, path string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Language", "en")
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	res, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if res.StatusCode != http.StatusOK {
		defer res.Body.Close()
		var p yhttp.Problem
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
		if json.Unmarshal(b, &p) == nil && p.Title != "" {
			return nil, fmt.Errorf("GET %s: %d %s: %s", path, res.StatusCode, p.Title, p.Detail)
		}
		return nil, fmt.Errorf("GET %s: %s", path, res.Status)
	}
	return res.Body, nil
}

// getAll is get, read to the end (at most 16 MiB).
func (r *remote) getAll(ctx context.Context, path string) ([]byte, error) {
	body, err := r.get(ctx, path)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return b, nil
}

// postCosigned sends a checkpoint the witness cosigned back to the server,
// which keeps it when the witness's key is registered there.
func (r *remote) postCosigned(ctx context.Context, msg []byte) error {
	const path = "/v1/checkpoints/cosigned"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+path, bytes.NewReader(msg))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("Accept-Language", "en")
	res, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		var p yhttp.Problem
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
		if json.Unmarshal(b, &p) == nil && p.Title != "" {
			return fmt.Errorf("POST %s: %d %s: %s", path, res.StatusCode, p.Title, p.Detail)
		}
		return fmt.Errorf("POST %s: %s", path, res.Status)
	}
	return nil
}

// checkpoint fetches the server's latest signed checkpoint.
func (r *remote) checkpoint(ctx context.Context) ([]byte, error) {
	return r.getAll(ctx, "/v1/checkpoint")
}

// consistency fetches the proof that the tree of to events extends the
// tree of from events; none is needed when from is 0 or from equals to.
func (r *remote) consistency(ctx context.Context, from, to int64) (tlog.TreeProof, error) {
	if from == 0 || from == to {
		return nil, nil
	}
	b, err := r.getAll(ctx, fmt.Sprintf("/v1/proofs/consistency?from=%d&to=%d", from, to))
	if err != nil {
		return nil, err
	}
	var p yhttp.ConsistencyProof
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("consistency proof: %w", err)
	}
	return p.Proof, nil
}

// logPage is the most entries asked of GET /v1/log at once.
const logPage = 50_000

// entries yields the log's entries from leaf index from up to (not
// including) to, a page at a time. A goroutine fetches and decodes them
// ahead of the caller (a few thousand entries), so that the server's
// writing, the decoding and the caller's checks run side by side.
func (r *remote) entries(ctx context.Context, from, to int64) iter.Seq2[yhttp.LogEntry, error] {
	return func(yield func(yhttp.LogEntry, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		type batch struct {
			entries []yhttp.LogEntry
			err     error
		}
		batches := make(chan batch, 4)
		go func() {
			defer close(batches)
			send := func(b batch) bool {
				select {
				case batches <- b:
					return true
				case <-ctx.Done():
					return false
				}
			}
			for at := from; at < to; {
				n, err := r.page(ctx, at, min(to-at, logPage), func(es []yhttp.LogEntry) bool { return send(batch{entries: es}) })
				if err != nil {
					send(batch{err: err})
					return
				}
				at += n
			}
		}()
		for b := range batches {
			for _, e := range b.entries {
				if !yield(e, nil) {
					return
				}
			}
			if b.err != nil {
				yield(yhttp.LogEntry{}, b.err)
				return
			}
		}
	}
}

// page fetches n entries from leaf index from and hands them to emit in
// slices of up to 1,000; it returns how many it handed over.
func (r *remote) page(ctx context.Context, from, n int64, emit func([]yhttp.LogEntry) bool) (int64, error) {
	body, err := r.get(ctx, "/v1/log?from="+strconv.FormatInt(from, 10)+"&max="+strconv.FormatInt(n, 10))
	if err != nil {
		return 0, err
	}
	defer body.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(body, 256<<10))
	got := int64(0)
	es := make([]yhttp.LogEntry, 0, 1000)
	for got < n {
		var e yhttp.LogEntry
		if err := dec.Decode(&e); err != nil {
			if err == io.EOF {
				err = fmt.Errorf("the server's log ends at leaf %d, before %d", from+got, from+n)
			}
			return got, fmt.Errorf("read the log at leaf %d: %w", from+got, err)
		}
		if e.Index != from+got {
			return got, fmt.Errorf("the server sent leaf %d where %d was due", e.Index, from+got)
		}
		es = append(es, e)
		got++
		if len(es) == cap(es) || got == n {
			if !emit(es) {
				return got, ctx.Err()
			}
			es = make([]yhttp.LogEntry, 0, 1000)
		}
	}
	return got, nil
}
