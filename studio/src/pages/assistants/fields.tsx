/** A labelled control with its explanation and its error beside it, wired for screen readers. */
import type { ReactNode } from "react";

export interface Described {
  id: string;
  "aria-describedby"?: string;
  "aria-invalid"?: true;
}

export function Field({
  id,
  label,
  hint,
  error,
  className,
  children,
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: string | null | undefined;
  className?: string;
  children: (control: Described) => ReactNode;
}) {
  const described = [hint ? `${id}-help` : "", error ? `${id}-error` : ""]
    .filter(Boolean)
    .join(" ");
  const control: Described = { id };
  if (described) control["aria-describedby"] = described;
  if (error) control["aria-invalid"] = true;
  return (
    <div className={`field assistants-field${className ? ` ${className}` : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children(control)}
      {hint && (
        <p className="hint" id={`${id}-help`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** An error for a control that has no Field around it (a checkbox list, a header's row). */
export function FieldError({ id, error }: { id: string; error: string | null | undefined }) {
  return error ? (
    <p className="field-error" id={id}>
      {error}
    </p>
  ) : null;
}
