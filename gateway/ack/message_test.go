package ack

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/smtptest"
	"github.com/intake-gateway/intake/parser"
)

func TestEmailAckTexts(t *testing.T) {
	from := &mail.Address{Name: "Consultation", Address: "intake@example.org"}
	defaults, err := newAckTexts(config.EmailAck{})
	if err != nil {
		t.Fatal(err)
	}
	custom, err := newAckTexts(config.EmailAck{
		Templates: map[string]string{"fr": "Bien reçu : {ref}.\n", "en": "Got it: {ref}.\n"},
		Subjects:  map[string]string{"fr": "Accusé de réception {ref}"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		texts         ackTexts
		lang, subject string
		wantLang      string
		wantSubject   string
		wantBody      string // must appear in the body, after {ref} is filled
	}{
		{"en", defaults, "en", "Trees", "en", "Re: Trees", "recorded under the reference K7F-3Q2"},
		{"fr", defaults, "fr", "", "fr", "Votre suggestion a bien été reçue (K7F-3Q2)", "sous la référence K7F-3Q2"},
		{"es", defaults, "es", "", "es", "Hemos recibido su sugerencia (K7F-3Q2)", "con la referencia K7F-3Q2"},
		{"pt", defaults, "pt", "", "pt", "A sua sugestão foi recebida (K7F-3Q2)", "com a referência K7F-3Q2"},
		{"sw", defaults, "sw", "", "sw", "Pendekezo lako limepokelewa (K7F-3Q2)", "kumbukumbu K7F-3Q2"},
		{"ar", defaults, "ar", "", "ar", "تم استلام اقتراحكم (K7F-3Q2)", "الرقم المرجعي K7F-3Q2"},
		{"hi", defaults, "hi", "", "hi", "आपका सुझाव प्राप्त हुआ (K7F-3Q2)", "संदर्भ संख्या K7F-3Q2"},
		{"region subtag", defaults, "pt-BR", "Árvores", "pt", "Re: Árvores", "com a referência K7F-3Q2"},
		{"unsure language", defaults, "", "", "en", "Your suggestion was received (K7F-3Q2)", "reference K7F-3Q2"},
		{"no template", defaults, "de", "Bäume", "en", "Re: Bäume", "reference K7F-3Q2"},
		{"already a reply", defaults, "en", "RE: Trees", "en", "RE: Trees", "reference K7F-3Q2"},
		{"subject with newline", defaults, "en", "Trees\r\nBcc: x@y.z", "en", "Re: Trees Bcc: x@y.z", "reference K7F-3Q2"},
		{"configured", custom, "fr", "Arbres", "fr", "Accusé de réception K7F-3Q2", "Bien reçu : K7F-3Q2."},
		{"configured en, built-in es", custom, "es", "Árboles", "es", "Re: Árboles", "con la referencia K7F-3Q2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ackParticipant("amina@participant.example", tt.lang, tt.subject)
			e.MessageID = "m@participant.example"
			raw, err := buildAck(from, tt.texts, e, "K7F-3Q2", ackT0)
			if err != nil {
				t.Fatalf("buildAck: %v", err)
			}
			h, body := smtptest.Message{Data: raw}.Read(t)
			if got := h.Get("Content-Language"); got != tt.wantLang {
				t.Errorf("Content-Language = %q, want %q", got, tt.wantLang)
			}
			if got, _ := h.Subject(); got != tt.wantSubject {
				t.Errorf("Subject = %q, want %q", got, tt.wantSubject)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body = %q, want it to contain %q", body, tt.wantBody)
			}
			if h.Has("Bcc") {
				t.Errorf("a Bcc header was injected:\n%s", raw)
			}
		})
	}
}

func TestEmailAckThreadIDs(t *testing.T) {
	long := make([]string, 30)
	for i := range long {
		long[i] = fmt.Sprintf("r%d@x", i)
	}
	tests := []struct {
		name     string
		e        parser.Email
		wantIRT  []string
		wantRefs []string
	}{
		{"first message", parser.Email{MessageID: "a@x"}, []string{"a@x"}, []string{"a@x"}},
		{"reply", parser.Email{MessageID: "b@x", InReplyTo: "a@x"}, []string{"b@x"}, []string{"a@x", "b@x"}},
		{"references win", parser.Email{MessageID: "c@x", InReplyTo: "b@x", References: []string{"a@x", "b@x"}}, []string{"c@x"}, []string{"a@x", "b@x", "c@x"}},
		{"no Message-ID", parser.Email{InReplyTo: "a@x"}, nil, nil},
		{"unusable Message-ID", parser.Email{MessageID: "a b>\r\nBcc: x@y"}, nil, nil},
		{"bad reference dropped", parser.Email{MessageID: "c@x", References: []string{"a@x", "<b@x>", "a@x"}}, []string{"c@x"}, []string{"a@x", "c@x"}},
		{"long thread trimmed", parser.Email{MessageID: "z@x", References: long}, []string{"z@x"},
			append(append([]string{"r0@x"}, long[22:]...), "z@x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			irt, refs := threadIDs(&tt.e)
			if fmt.Sprint(irt) != fmt.Sprint(tt.wantIRT) || fmt.Sprint(refs) != fmt.Sprint(tt.wantRefs) {
				t.Errorf("threadIDs = %v, %v; want %v, %v", irt, refs, tt.wantIRT, tt.wantRefs)
			}
		})
	}
}
