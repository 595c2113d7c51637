package sms

import (
	"errors"
	"io"
	"net/http"
)

// ReadWebhook reads the raw body of a provider's webhook, which every
// transport needs whole to check its signature. It answers the request
// itself and returns false when it is not a POST (405) or its body is
// larger than max bytes (413) or cannot be read (400).
func ReadWebhook(w http.ResponseWriter, r *http.Request, max int64) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(w, "cannot read request body", http.StatusBadRequest)
		return nil, false
	}
	return raw, true
}
