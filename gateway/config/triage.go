package config

// LoadTriageTokens reads the tokens that may set review states and labels
// (staff.triage_tokens_env), as LoadTokens reads the others. They may read
// what a plain token reads; contact tokens may triage too.
func (c Staff) LoadTriageTokens(env Getenv) []string {
	tokens, _ := Staff{TokensEnv: c.TriageTokensEnv}.LoadTokens(env)
	return tokens
}
