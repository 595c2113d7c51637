package mask

import "testing"

func TestMasking(t *testing.T) {
	if got := address("jane.doe@example.org"); got != "j***@e***.org" {
		t.Errorf("address = %q", got)
	}
	if got := Phone("+254712345678"); got != "+254*******78" {
		t.Errorf("Phone = %q", got)
	}
}

func TestScrubAddresses(t *testing.T) {
	for in, want := range map[string]string{
		"550 5.1.1 <jo@example.org>: no such user":  "550 5.1.1 <j***@e***.org>: no such user",
		"rcpt jo.doe+x@mail.example.co.uk refused":  "rcpt j***@m***.uk refused",
		"dial tcp 127.0.0.1:25: connection refused": "dial tcp 127.0.0.1:25: connection refused",
	} {
		if got := Addresses(in); got != want {
			t.Errorf("Addresses(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPhones(t *testing.T) {
	for in, want := range map[string]string{
		"The 'To' number +254712345678 is not valid": "The 'To' number +254*******78 is not valid",
		"send to 0712 345 678 failed":                "send to 0712******78 failed",
		"dial tcp 127.0.0.1:8080: refused":           "dial tcp 127.0.0.1:8080: refused",
		"Status: 429 - ApiError 20429: Too Many":     "Status: 429 - ApiError 20429: Too Many",
		"whatsapp:+14155238886 to jo@example.org":    "whatsapp:+141******86 to j***@e***.org",
	} {
		if got := Phones(in); got != want {
			t.Errorf("Phones(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSecrets(t *testing.T) {
	tests := []struct{ in, want string }{
		{"refresh token revoked", "refresh token revoked"},
		{"error: invalid_client client_secret=Zk3-q9PZ_a1 rejected", "error: invalid_client client_secret=*** rejected"},
		{`{"error":"invalid_grant","refresh_token":"1//0gAbC"}`, `{"error":"invalid_grant","refresh_token":"***"}`},
		{"Authorization: Bearer ya29.a0AfH6SMBx", "Authorization: Bearer ***"},
		{"password: hunter2", "password: ***"},
		{"curl: (22) got ya29a0AfH6SMBxLk3Qz9pT7Wm back", "curl: (22) got *** back"},
		{"see /usr/share/doc/intake-gateway/README", "see /usr/share/doc/intake-gateway/README"},
	}
	for _, tt := range tests {
		if got := Secrets(tt.in); got != tt.want {
			t.Errorf("Secrets(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
