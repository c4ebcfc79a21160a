// Renders an Ollama Modelfile TEMPLATE the way Ollama builds a chat prompt, with Go's own
// text/template, so tests can compare it with the Hugging Face chat template without Ollama.
//
// stdin:  {"template": "...", "system": "Modelfile SYSTEM or empty", "messages": [{"role", "content"}],
//
//	"legacy": false}
//
// stdout: the rendered prompt, nothing else.
//
// What it copies from Ollama (server/routes.go ChatHandler and template/template.go Execute):
//   - the Modelfile's SYSTEM is put first as a system message when the conversation has none;
//   - consecutive messages of one role are merged with "\n\n" (collate); all system messages are
//     joined with "\n\n" into .System and stay in .Messages too;
//   - a template that uses .Messages gets {System, Messages, Tools, Response: ""}; its functions
//     include json (the only one of Ollama's that these templates could use).
//
// "legacy": true renders one turn the way Ollama renders a template without .Messages:
// {System, Prompt, Response: ""} (single-turn only; multi-turn legacy rendering is not copied).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/template"
)

type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type input struct {
	Template string    `json:"template"`
	System   string    `json:"system"`
	Messages []Message `json:"messages"`
	Legacy   bool      `json:"legacy"`
}

var funcs = template.FuncMap{
	"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
}

func collate(msgs []Message) (string, []*Message) {
	var system []string
	var collated []*Message
	for i := range msgs {
		if msgs[i].Role == "system" {
			system = append(system, msgs[i].Content)
		}
		if len(collated) > 0 && collated[len(collated)-1].Role == msgs[i].Role && msgs[i].Role != "tool" {
			collated[len(collated)-1].Content += "\n\n" + msgs[i].Content
		} else {
			collated = append(collated, &msgs[i])
		}
	}
	return strings.Join(system, "\n\n"), collated
}

func run() error {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	var in input
	if err := json.Unmarshal(raw, &in); err != nil {
		return fmt.Errorf("stdin is not the expected JSON: %w", err)
	}
	tmpl, err := template.New("").Option("missingkey=zero").Funcs(funcs).Parse(in.Template)
	if err != nil {
		return fmt.Errorf("the template does not parse: %w", err)
	}
	msgs := in.Messages
	if in.System != "" && (len(msgs) == 0 || msgs[0].Role != "system") {
		msgs = append([]Message{{Role: "system", Content: in.System}}, msgs...)
	}
	system, collated := collate(msgs)
	if in.Legacy {
		prompt := ""
		for _, m := range collated {
			if m.Role == "user" {
				prompt = m.Content
			}
		}
		return tmpl.Execute(os.Stdout, map[string]any{"System": system, "Prompt": prompt, "Response": ""})
	}
	return tmpl.Execute(os.Stdout, map[string]any{
		"System":   system,
		"Messages": collated,
		"Tools":    nil,
		"Response": "",
	})
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ollama-template:", err)
		os.Exit(1)
	}
}
