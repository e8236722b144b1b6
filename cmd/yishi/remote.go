package main

import (
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
	"sync/atomic"
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
	return r.getAccept(ctx, path, "")
}

// getAccept is get asking for the media type accept (none when empty).
func (r *remote) getAccept(ctx context.Context, path, accept string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Language", "en")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
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
	if ct, _, _ := strings.Cut(res.Header.Get("Content-Type"), ";"); accept != "" && strings.TrimSpace(ct) != accept {
		res.Body.Close()
		return nil, fmt.Errorf("GET %s: the server answers %s, not %s: it is older than this yishi", path, ct, accept)
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
const logPage = 100_000

// Bounds of a logBatch: frames and bytes.
const (
	batchFrames = 2048
	batchBytes  = 2 << 20
)

// logBatch is a run of consecutive frames of GET /v1/log, their bytes in
// buf. Every goroutine a batch is handed to calls release once when done
// with it (refs counts them); the last one returns it to its pool for the
// next frames.
type logBatch struct {
	frames []yhttp.LogFrame
	buf    []byte
	refs   atomic.Int32
	pool   chan *logBatch
}

// release gives up one reference to b.
func (b *logBatch) release() {
	if b.refs.Add(-1) != 0 {
		return
	}
	b.frames, b.buf = b.frames[:0], b.buf[:0]
	select {
	case b.pool <- b:
	default:
	}
}

// batches yields the log's frames from leaf index from up to (not
// including) to, in the compact form (yhttp.LogFramesType), a batch at a
// time. A goroutine fetches and parses them ahead of the caller, so that
// the server's writing, the reading and the caller's checks run side by
// side. The caller sets each batch's refs and releases it.
func (r *remote) batches(ctx context.Context, from, to int64) iter.Seq2[*logBatch, error] {
	return func(yield func(*logBatch, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		type item struct {
			b   *logBatch
			err error
		}
		const ahead = 4
		items := make(chan item, ahead)
		pool := make(chan *logBatch, ahead+4)
		go func() {
			defer close(items)
			next := func() *logBatch {
				select {
				case b := <-pool:
					return b
				default:
					return &logBatch{frames: make([]yhttp.LogFrame, 0, batchFrames), buf: make([]byte, 0, batchBytes+64<<10), pool: pool}
				}
			}
			send := func(it item) bool {
				select {
				case items <- it:
					return true
				case <-ctx.Done():
					return false
				}
			}
			for at := from; at < to; {
				n, err := r.page(ctx, at, min(to-at, logPage), next, func(b *logBatch) bool { return send(item{b: b}) })
				if err != nil {
					send(item{err: err})
					return
				}
				at += n
			}
		}()
		for it := range items {
			if !yield(it.b, it.err) || it.err != nil {
				return
			}
		}
	}
}

// page fetches n frames from leaf index from into batches taken from next
// and hands each full one to emit; it returns how many frames it handed
// over.
func (r *remote) page(ctx context.Context, from, n int64, next func() *logBatch, emit func(*logBatch) bool) (int64, error) {
	body, err := r.getAccept(ctx, "/v1/log?from="+strconv.FormatInt(from, 10)+"&max="+strconv.FormatInt(n, 10), yhttp.LogFramesType)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	lr := yhttp.NewLogFrameReader(body)
	got := int64(0)
	b := next()
	for got < n {
		b.frames = append(b.frames, yhttp.LogFrame{})
		f := &b.frames[len(b.frames)-1]
		if b.buf, err = lr.Read(f, b.buf); err != nil {
			if err == io.EOF {
				err = fmt.Errorf("the server's log ends at leaf %d, before %d", from+got, from+n)
			}
			return got, fmt.Errorf("read the log at leaf %d: %w", from+got, err)
		}
		if f.Index != from+got {
			return got, fmt.Errorf("the server sent leaf %d where %d was due", f.Index, from+got)
		}
		got++
		if len(b.frames) == batchFrames || len(b.buf) >= batchBytes || got == n {
			if !emit(b) {
				return got, ctx.Err()
			}
			if got < n {
				b = next()
			}
		}
	}
	return got, nil
}
