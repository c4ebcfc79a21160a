import { type ReactNode, useState } from "react";

/**
 * A file picker that also takes files dropped on it: the examples file, documents for knowledge.
 * `help` is said beside the title and read out with the picker (its element gets `helpId`).
 */
export function DropZone({
  accept,
  multiple = false,
  title,
  help,
  helpId,
  onFiles,
}: {
  accept: string;
  multiple?: boolean;
  title: string;
  help: ReactNode;
  helpId: string;
  onFiles: (files: File[]) => void;
}) {
  const [over, setOver] = useState(false);
  return (
    <label
      className={`drop${over ? " over" : ""}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        onFiles([...e.dataTransfer.files]);
      }}
    >
      <input
        type="file"
        multiple={multiple}
        accept={accept}
        aria-describedby={helpId}
        onChange={(e) => {
          onFiles([...(e.target.files ?? [])]);
          e.target.value = ""; // the same file chosen again (after fixing it) is sent again
        }}
      />
      <strong>{title}</strong>
      <span id={helpId}>{help}</span>
    </label>
  );
}
