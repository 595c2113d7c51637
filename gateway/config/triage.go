package config

import "strings"

// SplitTokenName reads a staff token written NAME:TOKEN (the name is what
// the audit of a triage change records); a token without a colon has no
// name. Tokens are random strings (hex, base64url) without colons.
func SplitTokenName(entry string) (name, token string) {
	if n, t, ok := strings.Cut(entry, ":"); ok && strings.TrimSpace(n) != "" && t != "" {
		return strings.TrimSpace(n), t
	}
	return "", entry
}

// LoadTriageTokens reads the tokens that may set review states and labels
// (staff.triage_tokens_env), as LoadTokens reads the others. They may read
// what a plain token reads; contact tokens may triage too.
func (c Staff) LoadTriageTokens(env Getenv) []string {
	tokens, _ := Staff{TokensEnv: c.TriageTokensEnv}.LoadTokens(env)
	return tokens
}
