package parser

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AndroidEvent is one webhook of SMS Gateway for Android (sms-gate.app):
// an Android phone with a local SIM posting what happens on it.
type AndroidEvent struct {
	// ID identifies the event; every retry of it carries the same one
	// (the app retries for about two days until it gets a 2xx).
	ID string
	// Event is "sms:received", "sms:sent", "sms:delivered", "sms:failed",
	// "system:ping", "mms:received", ...
	Event     string
	DeviceID  string
	WebhookID string
	// SMS is the text of an "sms:received" event, nil for the others.
	// Its MessageSID is the event ID: the payload's messageId is derived
	// from the content and two texts may share it.
	SMS *SMS
}

// AndroidSMSReceived is the event of an inbound text.
const AndroidSMSReceived = "sms:received"

// ErrAndroidEvent is wrapped by ParseAndroidEvent when the body is not a
// webhook of the app.
var ErrAndroidEvent = errors.New("not an sms-gate.app webhook")

// androidBody is the webhook's JSON, as documented by the app:
//
//	{"deviceId":"…","event":"sms:received","id":"Ey6ECgOkVVFjz3CL48B8C",
//	 "payload":{"messageId":"abc123","message":"text","sender":"6505551212",
//	 "recipient":"+1234567890","simNumber":1,"receivedAt":"2024-06-22T15:46:11.000+07:00"},
//	 "webhookId":"LreFUt-Z3sSq0JufY9uWB"}
type androidBody struct {
	DeviceID  string          `json:"deviceId"`
	Event     string          `json:"event"`
	ID        string          `json:"id"`
	WebhookID string          `json:"webhookId"`
	Payload   json.RawMessage `json:"payload"`
}

type androidSMSPayload struct {
	MessageID   string `json:"messageId"`
	Message     string `json:"message"`
	Sender      string `json:"sender"`
	PhoneNumber string `json:"phoneNumber"` // older app versions, instead of sender
	Recipient   string `json:"recipient"`
	ReceivedAt  string `json:"receivedAt"`
}

// ParseAndroidEvent reads a webhook body of SMS Gateway for Android. The
// event and its id are required; for "sms:received" so is the sender
// (older versions call it phoneNumber). A receivedAt that does not parse
// leaves SentAt zero rather than losing the text.
func ParseAndroidEvent(raw []byte) (*AndroidEvent, error) {
	var b androidBody
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("parser: android webhook: %w: %v", ErrAndroidEvent, err)
	}
	ev := &AndroidEvent{
		ID: strings.TrimSpace(b.ID), Event: strings.TrimSpace(b.Event),
		DeviceID: strings.TrimSpace(b.DeviceID), WebhookID: strings.TrimSpace(b.WebhookID),
	}
	if ev.ID == "" || ev.Event == "" {
		return nil, fmt.Errorf("parser: android webhook: id and event: %w", ErrSMSField)
	}
	if ev.Event != AndroidSMSReceived {
		return ev, nil
	}
	var p androidSMSPayload
	if len(b.Payload) == 0 || json.Unmarshal(b.Payload, &p) != nil {
		return nil, fmt.Errorf("parser: android webhook %s: payload: %w", ev.ID, ErrAndroidEvent)
	}
	from := strings.TrimSpace(p.Sender)
	if from == "" {
		from = strings.TrimSpace(p.PhoneNumber)
	}
	if from == "" {
		return nil, fmt.Errorf("parser: android webhook %s: sender: %w", ev.ID, ErrSMSField)
	}
	ev.SMS = &SMS{MessageSID: ev.ID, From: from, To: strings.TrimSpace(p.Recipient), Body: cleanSMSText(p.Message)}
	if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(p.ReceivedAt)); err == nil {
		ev.SMS.SentAt = t
	}
	return ev, nil
}
