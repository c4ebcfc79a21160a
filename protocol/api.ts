/**
 * The HTTP API's bodies, in OpenAI's shapes so that the official SDKs work against Tailor. The
 * server's routes validate with these and the OpenAPI document at /openapi.json is generated from
 * them. Tailor's additions to an OpenAI object live under a `tailor` field or are marked below.
 */
import { z } from "@hono/zod-openapi";
import { JOB_STATUSES } from "./jobs.ts";

const seconds = z.number().int().openapi({ description: "Unix time in seconds" });

export const ApiError = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .openapi("Error");

export const listOf = <T extends z.ZodTypeAny>(item: T) =>
  z.object({
    object: z.literal("list"),
    data: z.array(item),
    has_more: z.boolean(),
    first_id: z.string().nullable().optional(),
    last_id: z.string().nullable().optional(),
  });

export const Pagination = z.object({
  after: z
    .string()
    .optional()
    .openapi({ description: "id of the last object of the previous page" }),
  limit: z.coerce.number().int().min(1).max(1000).default(20),
});

// --- files ------------------------------------------------------------------------------------

export const FileObject = z
  .object({
    id: z.string(),
    object: z.literal("file"),
    bytes: z.number().int(),
    created_at: seconds,
    filename: z.string(),
    purpose: z.string(),
    status: z.enum(["uploaded", "processed", "error"]),
    status_details: z.string().nullable(),
    expires_at: z.null(),
    tailor: z.object({
      /** The stored dataset version when the examples passed the check. */
      dataset_id: z.string().nullable(),
      examples: z.number().int(),
      errors: z.number().int(),
      warnings: z.number().int(),
    }),
  })
  .openapi("File");

export const FileList = listOf(FileObject).openapi("FileList");
export const FileDeleted = z
  .object({ id: z.string(), object: z.literal("file"), deleted: z.boolean() })
  .openapi("FileDeleted");

// --- fine-tuning --------------------------------------------------------------------------------

const autoOr = <T extends z.ZodTypeAny>(t: T) => z.union([z.literal("auto"), t]);

export const HyperparametersIn = z.object({
  n_epochs: autoOr(z.number().int().min(1).max(50)).optional(),
  batch_size: autoOr(z.number().int().min(1).max(256)).optional(),
  learning_rate_multiplier: autoOr(z.number().positive().max(10)).optional(),
  /** Tailor: the learning rate itself, instead of a multiplier of the auto one. */
  learning_rate: autoOr(z.number().positive().max(1)).optional(),
  /** Tailor: LoRA rank. */
  lora_rank: autoOr(z.number().int().min(1).max(256)).optional(),
});

export const CreateJobRequest = z
  .object({
    model: z.string().min(1),
    training_file: z.string().min(1),
    validation_file: z.string().min(1).nullable().optional(),
    suffix: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,40}$/, "use up to 40 letters, digits, '.', '_' or '-'")
      .nullable()
      .optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .nullable()
      .optional(),
    hyperparameters: HyperparametersIn.optional(),
    method: z
      .object({
        type: z.literal("supervised"),
        supervised: z.object({ hyperparameters: HyperparametersIn.optional() }).optional(),
      })
      .optional(),
    metadata: z.record(z.string(), z.string()).nullable().optional(),
  })
  .openapi("CreateFineTuningJobRequest");

const HyperparametersOut = z.object({
  n_epochs: z.number().int(),
  batch_size: z.number().int(),
  learning_rate_multiplier: z.number(),
});

export const FineTuningJob = z
  .object({
    id: z.string(),
    object: z.literal("fine_tuning.job"),
    created_at: seconds,
    finished_at: seconds.nullable(),
    model: z.string(),
    fine_tuned_model: z.string().nullable(),
    organization_id: z.string(),
    status: z.enum(JOB_STATUSES),
    training_file: z.string(),
    validation_file: z.string().nullable(),
    hyperparameters: HyperparametersOut,
    method: z.object({
      type: z.literal("supervised"),
      supervised: z.object({ hyperparameters: HyperparametersOut }),
    }),
    result_files: z.array(z.string()),
    trained_tokens: z.number().int().nullable(),
    seed: z.number().int(),
    error: z
      .object({ code: z.string(), message: z.string(), param: z.string().nullable() })
      .nullable(),
    estimated_finish: seconds.nullable(),
    integrations: z.null(),
    metadata: z.record(z.string(), z.string()).nullable(),
    user_provided_suffix: z.string().nullable(),
    tailor: z.object({
      learning_rate: z.number(),
      lora_rank: z.number().int(),
      lora_alpha: z.number(),
      explanations: z.array(z.string()),
      validation: z.object({ source: z.string(), examples: z.number().int(), note: z.string() }),
      attempts: z.number().int(),
      result: z
        .object({
          steps: z.number().int(),
          first_train_loss: z.number(),
          final_train_loss: z.number(),
          train_seconds: z.number(),
          stopped_early: z.boolean(),
          model_step: z.number().int(),
          best_val_loss: z.number().nullable(),
          summary: z.string(),
        })
        .nullable(),
    }),
  })
  .openapi("FineTuningJob");

export const FineTuningJobList = listOf(FineTuningJob).openapi("FineTuningJobList");

export const FineTuningJobEvent = z
  .object({
    id: z.string(),
    object: z.literal("fine_tuning.job.event"),
    created_at: seconds,
    level: z.enum(["info", "warn", "error"]),
    message: z.string(),
    type: z.enum(["message", "metrics"]),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi("FineTuningJobEvent");
export const FineTuningJobEventList = listOf(FineTuningJobEvent).openapi("FineTuningJobEventList");

export const FineTuningCheckpoint = z
  .object({
    id: z.string(),
    object: z.literal("fine_tuning.job.checkpoint"),
    created_at: seconds,
    fine_tuned_model_checkpoint: z.string(),
    fine_tuning_job_id: z.string(),
    step_number: z.number().int(),
    metrics: z.object({
      step: z.number(),
      train_loss: z.number().nullable(),
      valid_loss: z.number().nullable(),
    }),
  })
  .openapi("FineTuningCheckpoint");
export const FineTuningCheckpointList = listOf(FineTuningCheckpoint).openapi(
  "FineTuningCheckpointList",
);

// --- models -------------------------------------------------------------------------------------

export const ModelObject = z
  .object({
    id: z.string(),
    object: z.literal("model"),
    created: seconds,
    owned_by: z.string(),
    tailor: z.object({
      kind: z.enum(["base", "fine_tuned", "embedding"]),
      base: z.string().nullable(),
      description: z.string(),
      shared: z.boolean(),
      /** Fine-tuned models: whether the promotion gate found it ready, and why (null: base models). */
      promotion: z
        .object({ status: z.enum(["ready", "needs_review"]), reason: z.string() })
        .nullable()
        .optional(),
    }),
  })
  .openapi("Model");
export const ModelList = z
  .object({ object: z.literal("list"), data: z.array(ModelObject) })
  .openapi("ModelList");
export const ModelDeleted = z
  .object({ id: z.string(), object: z.literal("model"), deleted: z.boolean() })
  .openapi("ModelDeleted");

// --- chat ---------------------------------------------------------------------------------------

const TextPart = z.object({ type: z.literal("text"), text: z.string() });

export const ChatRequestMessage = z.object({
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: z.union([z.string(), z.array(TextPart)]).nullable(),
  name: z.string().optional(),
});

export const ChatCompletionRequest = z
  .object({
    model: z.string().min(1),
    messages: z.array(ChatRequestMessage).min(1),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().gt(0).max(1).nullable().optional(),
    /** Tailor: sample from the k most likely tokens only (0: no limit). */
    top_k: z.number().int().min(0).nullable().optional(),
    max_tokens: z.number().int().min(1).nullable().optional(),
    max_completion_tokens: z.number().int().min(1).nullable().optional(),
    stop: z
      .union([z.string(), z.array(z.string()).max(4)])
      .nullable()
      .optional(),
    seed: z.number().int().min(0).nullable().optional(),
    n: z.number().int().min(1).max(8).nullable().optional(),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
    user: z.string().optional(),
    /** Tailor: answer from the user's documents (retrieval before generation, with citations). */
    tailor: z
      .object({
        vector_store_ids: z.array(z.string()).min(1).max(10),
        /** Passages given to the model at most (default 5). */
        max_passages: z.number().int().min(1).max(20).optional(),
        /** Cosine similarity a passage needs (default 0.3); below it, nothing relevant is found. */
        min_similarity: z.number().min(-1).max(1).optional(),
      })
      .optional(),
  })
  .openapi("CreateChatCompletionRequest");

/** Tailor: a passage given to the model, which it cites as [index]. */
export const Citation = z
  .object({
    index: z.number().int(),
    vector_store_id: z.string(),
    file_id: z.string(),
    filename: z.string(),
    location: z.string().openapi({ description: '"page 3", "Leave › Annual leave", or ""' }),
    page: z.number().int().nullable(),
    section: z.string().nullable(),
    chunk: z.number().int(),
    text: z.string(),
    score: z.number(),
    similarity: z.number(),
  })
  .openapi("Citation");

/** Tailor: what retrieval found for a chat completion. */
export const Retrieval = z.object({
  citations: z.array(Citation),
  /** false: nothing relevant was found, and the model was told so. */
  found: z.boolean(),
  query: z.string(),
  vector_store_ids: z.array(z.string()),
});

const Usage = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

export const ChatCompletion = z
  .object({
    id: z.string(),
    object: z.literal("chat.completion"),
    created: seconds,
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({
          role: z.literal("assistant"),
          content: z.string(),
          refusal: z.null(),
        }),
        finish_reason: z.enum(["stop", "length"]),
        logprobs: z.null(),
      }),
    ),
    usage: Usage,
    tailor: Retrieval.optional(),
  })
  .openapi("ChatCompletion");

export const ChatCompletionChunk = z
  .object({
    id: z.string(),
    object: z.literal("chat.completion.chunk"),
    created: seconds,
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        delta: z.object({
          role: z.literal("assistant").optional(),
          content: z.string().optional(),
        }),
        finish_reason: z.enum(["stop", "length"]).nullable(),
        logprobs: z.null(),
      }),
    ),
    usage: Usage.nullable().optional(),
    /** Tailor: in a first chunk with no choices, when the request asked for retrieval. */
    tailor: Retrieval.optional(),
  })
  .openapi("ChatCompletionChunk");

// --- embeddings ---------------------------------------------------------------------------------

export const EmbeddingRequest = z
  .object({
    model: z.string().min(1),
    input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
    encoding_format: z.enum(["float", "base64"]).optional(),
    dimensions: z.number().int().positive().optional(),
    user: z.string().optional(),
  })
  .openapi("CreateEmbeddingRequest");

export const EmbeddingResponse = z
  .object({
    object: z.literal("list"),
    data: z.array(
      z.object({
        object: z.literal("embedding"),
        index: z.number().int(),
        embedding: z.union([z.array(z.number()), z.string()]),
      }),
    ),
    model: z.string(),
    usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
  })
  .openapi("CreateEmbeddingResponse");

// --- audit --------------------------------------------------------------------------------------

export const AuditEntry = z
  .object({
    seq: z.number().int(),
    at: z.string().openapi({ description: "ISO 8601 time" }),
    key_id: z.string().nullable(),
    owner: z.string().nullable(),
    role: z.string().nullable(),
    action: z.string(),
    target: z.string().nullable(),
    result: z.enum(["ok", "denied", "error"]),
    status: z.number().int().nullable(),
    client: z.string().nullable(),
  })
  .openapi("AuditEntry");
export const AuditList = listOf(AuditEntry).openapi("AuditList");

// --- Tailor: what the studio needs beyond OpenAI's objects ------------------------------------

export const RedactionResult = z
  .object({
    object: z.literal("tailor.redaction"),
    /** The original file, left as it is. */
    source_file: z.string(),
    /** The new file, with placeholders such as [EMAIL] where personal data was. */
    file: FileObject,
    /** How many values of each kind were replaced, e.g. {"EMAIL": 2}. */
    replaced: z.record(z.string(), z.number().int()),
  })
  .openapi("RedactionResult");

export const BaseModelCard = z
  .object({
    id: z.string(),
    object: z.literal("tailor.base_model"),
    description: z.string(),
    parameters: z.number().int().nullable(),
    languages: z.array(z.string()),
    offline: z.boolean(),
    good_at: z.string(),
    origin: z.enum(["builtin", "local"]),
  })
  .openapi("BaseModelCard");
export const BaseModelCardList = z
  .object({ object: z.literal("list"), data: z.array(BaseModelCard) })
  .openapi("BaseModelCardList");

export const PlanRequest = z
  .object({
    model: z.string().min(1),
    training_file: z.string().min(1),
    validation_file: z.string().min(1).nullable().optional(),
    hyperparameters: HyperparametersIn.optional(),
  })
  .openapi("FineTuningPlanRequest");

const Histogram = z.array(z.object({ from: z.number(), to: z.number(), count: z.number().int() }));

export const FineTuningPlan = z
  .object({
    object: z.literal("tailor.fine_tuning.plan"),
    model: z.string(),
    training_file: z.string(),
    parameters: z.number().int().nullable(),
    hyperparameters: z.object({
      n_epochs: z.number().int(),
      batch_size: z.number().int(),
      learning_rate: z.number(),
      lora_rank: z.number().int(),
      lora_alpha: z.number(),
      seed: z.number().int(),
    }),
    /** One sentence per resolved value, saying where it came from. */
    explanations: z.array(z.string()),
    train_examples: z.number().int(),
    validation: z.object({ source: z.string(), examples: z.number().int(), note: z.string() }),
    tokens: z
      .object({
        min: z.number(),
        median: z.number(),
        max: z.number(),
        mean: z.number(),
        histogram: Histogram,
      })
      .nullable(),
    context_length: z.number().int().nullable(),
    tokens_per_epoch: z.number().nullable(),
    tokens_per_second: z.number().nullable(),
    estimated_seconds: z.number().nullable(),
    /** Problems only this base model has with the data (e.g. examples longer than it reads). */
    errors: z.array(z.object({ line: z.number().int().nullable(), message: z.string() })),
    warnings: z.array(z.object({ line: z.number().int().nullable(), message: z.string() })),
  })
  .openapi("FineTuningPlan");

export const ApiKeyObject = z
  .object({
    id: z.string(),
    object: z.literal("tailor.api_key"),
    name: z.string(),
    owner: z.string(),
    role: z.enum(["admin", "member", "viewer"]),
    /** The first characters of the key, to recognise it. */
    prefix: z.string(),
    created_at: seconds,
    last_used_at: seconds.nullable(),
    revoked_at: seconds.nullable(),
  })
  .openapi("ApiKey");
export const ApiKeyList = z
  .object({ object: z.literal("list"), data: z.array(ApiKeyObject) })
  .openapi("ApiKeyList");
export const CreateKeyRequest = z
  .object({
    name: z.string().min(1).max(100),
    role: z.enum(["admin", "member", "viewer"]),
    owner: z.string().min(1).max(100).optional(),
  })
  .openapi("CreateApiKeyRequest");
export const ApiKeyCreated = ApiKeyObject.extend({
  /** The key itself: shown this once, never stored. */
  key: z.string(),
}).openapi("ApiKeyCreated");

export const Me = z
  .object({
    object: z.literal("tailor.principal"),
    key_id: z.string(),
    owner: z.string(),
    role: z.enum(["admin", "member", "viewer"]),
  })
  .openapi("Principal");

// --- vector stores (knowledge) --------------------------------------------------------------------

const FileCounts = z.object({
  in_progress: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
  total: z.number().int(),
});

const StaticChunking = z.object({
  type: z.literal("static"),
  static: z.object({
    max_chunk_size_tokens: z.number().int().min(25).max(4096),
    chunk_overlap_tokens: z.number().int().min(0),
  }),
});
const ChunkingIn = z.union([z.object({ type: z.literal("auto") }), StaticChunking]);

export const VectorStoreObject = z
  .object({
    id: z.string(),
    object: z.literal("vector_store"),
    created_at: seconds,
    name: z.string(),
    usage_bytes: z.number().int(),
    file_counts: FileCounts,
    status: z.enum(["expired", "in_progress", "completed"]),
    expires_after: z.null(),
    expires_at: z.null(),
    last_active_at: seconds.nullable(),
    metadata: z.record(z.string(), z.string()).nullable(),
    tailor: z.object({
      embedding_model: z.string(),
      dimensions: z.number().int().nullable(),
      /** Chunk size and overlap, in characters. */
      chunk_size: z.number().int(),
      chunk_overlap: z.number().int(),
    }),
  })
  .openapi("VectorStore");

export const VectorStoreList = listOf(VectorStoreObject).openapi("VectorStoreList");

export const CreateVectorStoreRequest = z
  .object({
    name: z.string().min(1).max(200).optional(),
    file_ids: z.array(z.string()).max(500).optional(),
    chunking_strategy: ChunkingIn.optional(),
    metadata: z.record(z.string(), z.string()).nullable().optional(),
    expires_after: z.unknown().optional(),
    /** Tailor: any sentence-transformers model by name or folder (default all-minilm-l6-v2). */
    tailor: z.object({ embedding_model: z.string().min(1).optional() }).optional(),
  })
  .openapi("CreateVectorStoreRequest");

export const UpdateVectorStoreRequest = z
  .object({
    name: z.string().min(1).max(200).nullable().optional(),
    metadata: z.record(z.string(), z.string()).nullable().optional(),
    expires_after: z.unknown().optional(),
  })
  .openapi("UpdateVectorStoreRequest");

export const VectorStoreDeleted = z
  .object({ id: z.string(), object: z.literal("vector_store.deleted"), deleted: z.boolean() })
  .openapi("VectorStoreDeleted");

export const VectorStoreFileObject = z
  .object({
    id: z.string(),
    object: z.literal("vector_store.file"),
    usage_bytes: z.number().int(),
    created_at: seconds,
    vector_store_id: z.string(),
    status: z.enum(["in_progress", "completed", "cancelled", "failed"]),
    last_error: z
      .object({
        code: z.enum(["server_error", "unsupported_file", "invalid_file"]),
        message: z.string(),
      })
      .nullable(),
    chunking_strategy: StaticChunking,
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullable(),
    tailor: z.object({
      filename: z.string(),
      /** Pages (PDF) or sections read. */
      pages: z.number().int(),
      chunks: z.number().int(),
    }),
  })
  .openapi("VectorStoreFile");

export const VectorStoreFileList = listOf(VectorStoreFileObject).openapi("VectorStoreFileList");

export const CreateVectorStoreFileRequest = z
  .object({
    file_id: z.string().min(1),
    chunking_strategy: ChunkingIn.optional(),
    attributes: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .nullable()
      .optional(),
  })
  .openapi("CreateVectorStoreFileRequest");

export const VectorStoreFileDeleted = z
  .object({ id: z.string(), object: z.literal("vector_store.file.deleted"), deleted: z.boolean() })
  .openapi("VectorStoreFileDeleted");

const ChunkLocation = z.object({
  /** The chunk's position in its file, from 0. */
  chunk: z.number().int(),
  page: z.number().int().nullable(),
  section: z.string().nullable(),
  location: z.string(),
});

export const VectorStoreFileContent = z
  .object({
    object: z.literal("vector_store.file_content.page"),
    data: z.array(z.object({ type: z.literal("text"), text: z.string(), tailor: ChunkLocation })),
    has_more: z.boolean(),
    next_page: z.string().nullable(),
  })
  .openapi("VectorStoreFileContentPage");

export const VectorStoreSearchRequest = z
  .object({
    query: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    max_num_results: z.number().int().min(1).max(50).optional(),
    filters: z.unknown().optional(),
    ranking_options: z
      .object({
        ranker: z.string().optional(),
        score_threshold: z.number().min(0).max(1).optional(),
      })
      .optional(),
    rewrite_query: z.boolean().optional(),
    /** Tailor: hybrid (default), vector (embeddings only) or keyword (full text only). */
    tailor: z.object({ mode: z.enum(["hybrid", "vector", "keyword"]).optional() }).optional(),
  })
  .openapi("VectorStoreSearchRequest");

export const VectorStoreSearchResults = z
  .object({
    object: z.literal("vector_store.search_results.page"),
    search_query: z.array(z.string()),
    data: z.array(
      z.object({
        file_id: z.string(),
        filename: z.string(),
        score: z.number(),
        attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullable(),
        content: z.array(z.object({ type: z.literal("text"), text: z.string() })),
        tailor: ChunkLocation.extend({
          similarity: z.number(),
          vector_rank: z.number().int().nullable(),
          keyword_rank: z.number().int().nullable(),
        }),
      }),
    ),
    has_more: z.boolean(),
    next_page: z.string().nullable(),
  })
  .openapi("VectorStoreSearchResultsPage");
