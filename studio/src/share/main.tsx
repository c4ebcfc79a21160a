/** The share page (`/a/<slug>`): an assistant's chat for the people it serves, not the studio. */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ShareApp } from "./ShareApp.tsx";
import "./share.css";

const root = document.getElementById("root");
if (root)
  createRoot(root).render(
    <StrictMode>
      <ShareApp />
    </StrictMode>,
  );
