// Package loadtest is the webhook load every SMS transport is tested and
// benchmarked with: n signed requests from concurrent clients, a tenth of
// them retries of an earlier request and one in fifty forged, posted over
// loopback, with exact outcomes per request.
package loadtest

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is what a planned request is.
type Kind int

const (
	Unique Kind = iota // a new text
	Dup                // a retry of an earlier Unique request
	Forged             // a wrong signature
)

const (
	dupEvery = 10 // request i retries an earlier one when i%10 == 4
	badEvery = 50 // request i is forged when i%50 == 49 (never a retry slot)
)

// Request is one planned webhook.
type Request struct {
	Kind   Kind
	ID     string // the provider's message or event id
	Body   []byte
	Header http.Header
}

// Plan plans n requests; build makes request i, forged or not (Kind is
// set by Plan). For 10,000 requests: 200 forged, 1,000 retries, 8,800
// new. A retry repeats a request sent a little earlier, often still in
// flight on another client, as with a proxy retrying.
func Plan(n int, build func(i int, forged bool) Request) []Request {
	reqs := make([]Request, 0, n)
	var uniques []int
	for i := range n {
		switch {
		case i%badEvery == badEvery-1:
			r := build(i, true)
			r.Kind = Forged
			reqs = append(reqs, r)
		case i%dupEvery == 4 && len(uniques) > 0:
			r := reqs[uniques[max(0, len(uniques)-1-(i/dupEvery)%40)]]
			r.Kind = Dup
			reqs = append(reqs, r)
		default:
			r := build(i, false)
			r.Kind = Unique
			uniques = append(uniques, len(reqs))
			reqs = append(reqs, r)
		}
	}
	return reqs
}

// Counts are how many requests of each kind a plan holds.
func Counts(reqs []Request) (unique, dups, forged int) {
	for _, r := range reqs {
		switch r.Kind {
		case Unique:
			unique++
		case Dup:
			dups++
		case Forged:
			forged++
		}
	}
	return unique, dups, forged
}

// Result is the answer to one request.
type Result struct {
	Status  int
	Body    string
	Latency time.Duration
	Err     error
}

// Run posts reqs to target from clients concurrent clients and returns
// one result per request, in plan order. stopAfter, if set, is called
// after each answer; once it returns true no new request starts.
func Run(target string, reqs []Request, clients int, stopAfter func(i int, r Result) bool) ([]Result, time.Duration) {
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, IdleConnTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	results := make([]Result, len(reqs))
	var next atomic.Int64
	var stopped atomic.Bool
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for !stopped.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) {
					return
				}
				q := reqs[i]
				req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(string(q.Body)))
				req.Header = q.Header.Clone()
				t0 := time.Now()
				resp, err := hc.Do(req)
				res := Result{Err: err}
				if err == nil {
					b, rerr := io.ReadAll(resp.Body)
					resp.Body.Close()
					res.Status, res.Body, res.Err = resp.StatusCode, string(b), rerr
				}
				res.Latency = time.Since(t0)
				results[i] = res
				if stopAfter != nil && stopAfter(i, res) {
					stopped.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return results, time.Since(start)
}

// Figures summarises the answered requests: requests/s over elapsed, and
// the median and 99th percentile latency.
func Figures(results []Result, elapsed time.Duration) (rps float64, p50, p99 time.Duration) {
	var lat []time.Duration
	for _, r := range results {
		if r.Err == nil && r.Status != 0 {
			lat = append(lat, r.Latency)
		}
	}
	slices.Sort(lat)
	at := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	return float64(len(lat)) / elapsed.Seconds(), at(0.50), at(0.99)
}
