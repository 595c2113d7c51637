// Package metrics holds the gateway's Prometheus collectors, which the
// mailboxes, the email pipeline, the SMS webhooks and the acknowledgement
// sender move and /metrics serves.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the gateway's Prometheus collectors. Each gateway gets its own
// registry (no globals), so tests can run several side by side.
type Metrics struct {
	Registry          *prometheus.Registry
	Received          *prometheus.CounterVec // by channel
	Suggestions       *prometheus.CounterVec // by channel
	Duplicates        *prometheus.CounterVec // by channel
	SMSConflicts      *prometheus.CounterVec // by channel: a MessageSid repeated with another text
	Quarantined       *prometheus.CounterVec // by channel
	SignatureFailures prometheus.Counter
	OptOuts           *prometheus.CounterVec // by channel
	AcksSent          *prometheus.CounterVec // by channel
	AcksFailed        *prometheus.CounterVec // by channel
	IngestLatency     *prometheus.HistogramVec
	MailboxLastOK     *prometheus.GaugeVec   // unix seconds of each mailbox's last success
	PhoneLastSeen     *prometheus.GaugeVec   // unix seconds of each Android phone's last webhook, by phone
	PhoneLastPing     *prometheus.GaugeVec   // unix seconds of each Android phone's last system:ping, by phone
	PhoneEvents       *prometheus.CounterVec // Android webhooks by phone and event
	Backfilled        prometheus.Counter     // texts taken in from Twilio's message log
	BackfillLastOK    prometheus.Gauge       // unix seconds of the last complete backfill
}

// New builds and registers the collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	ch := []string{"channel"}
	m := &Metrics{
		Registry:    r,
		Received:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "intake_items_received_total", Help: "Inbound items committed to the ledger."}, ch),
		Suggestions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "intake_suggestions_total", Help: "Suggestions created."}, ch),
		Duplicates:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "intake_duplicates_total", Help: "Inbound items already in the ledger."}, ch),
		SMSConflicts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "intake_sms_conflicts_total",
			Help: "Texts refused because their MessageSid was already stored with another text or sender (forged or replayed)."}, ch),
		Quarantined:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "intake_quarantined_total", Help: "Items that could not be parsed."}, ch),
		SignatureFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "intake_signature_failures_total", Help: "Webhooks refused for a missing or wrong signature."}),
		OptOuts:           prometheus.NewCounterVec(prometheus.CounterOpts{Name: "intake_opt_outs_total", Help: "Opt-out requests recorded."}, ch),
		AcksSent:          prometheus.NewCounterVec(prometheus.CounterOpts{Name: "intake_acks_sent_total", Help: "Acknowledgements sent."}, ch),
		AcksFailed:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "intake_acks_failed_total", Help: "Acknowledgement attempts that failed."}, ch),
		IngestLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "intake_ingest_seconds", Help: "Time from receipt to a stored suggestion.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, ch),
		MailboxLastOK:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "intake_mailbox_last_success_timestamp_seconds", Help: "Unix time of each mailbox's last successful poll."}, []string{"mailbox"}),
		PhoneLastSeen:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "intake_phone_last_seen_timestamp_seconds", Help: "Unix time of each Android phone's last signed webhook."}, []string{"phone"}),
		PhoneLastPing:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "intake_phone_last_ping_timestamp_seconds", Help: "Unix time of each Android phone's last system:ping."}, []string{"phone"}),
		PhoneEvents:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "intake_phone_events_total", Help: "Signed Android webhooks, by phone and event."}, []string{"phone", "event"}),
		Backfilled:     prometheus.NewCounter(prometheus.CounterOpts{Name: "intake_sms_backfilled_total", Help: "Texts taken in from Twilio's message log that the webhook had missed."}),
		BackfillLastOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "intake_sms_backfill_last_success_timestamp_seconds", Help: "Unix time of the last complete Twilio backfill."}),
	}
	r.MustRegister(m.Received, m.Suggestions, m.Duplicates, m.SMSConflicts, m.Quarantined, m.SignatureFailures, m.OptOuts,
		m.AcksSent, m.AcksFailed, m.IngestLatency, m.MailboxLastOK,
		m.PhoneLastSeen, m.PhoneLastPing, m.PhoneEvents, m.Backfilled, m.BackfillLastOK,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Count calls f with m, unless m is nil: a part built without metrics
// (`intake ingest`, a test) counts nothing.
func (m *Metrics) Count(f func(*Metrics)) {
	if m != nil {
		f(m)
	}
}

// storeErrors is intake_store_errors_total, read from the store's own
// count at each scrape: every write path reports to the store, whether
// or not it was built with metrics.
type storeErrors struct {
	desc  *prometheus.Desc
	count func() map[string]uint64
}

func (c storeErrors) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c storeErrors) Collect(ch chan<- prometheus.Metric) {
	for op, n := range c.count() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(n), op)
	}
}

// CountStoreErrors serves count (write failures by operation) as
// intake_store_errors_total{op}.
func (m *Metrics) CountStoreErrors(count func() map[string]uint64) {
	m.Registry.MustRegister(storeErrors{
		desc: prometheus.NewDesc("intake_store_errors_total",
			"Store writes that failed for the database's sake (disk full, read-only, connection lost), by operation.", []string{"op"}, nil),
		count: count,
	})
}
