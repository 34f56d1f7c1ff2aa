/** Validates the document on the server shortly after each edit and puts the issues in the store. */
import { useEffect, useRef, useState } from "react";

import { useValidateWorkflow } from "@/hooks/queries/workflow";
import { errorMessage } from "@/lib/api/client";

import { currentDocument, useEditorStore } from "./store/editor-store";

const DEBOUNCE_MS = 400;

export function useLiveValidation() {
  const revision = useEditorStore((state) => state.revision);
  const loaded = useEditorStore((state) => state.nodes.length > 0);
  const validate = useValidateWorkflow();
  const mutate = useRef(validate.mutateAsync);
  const [checkedRevision, setCheckedRevision] = useState<number | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    mutate.current = validate.mutateAsync;
  });

  useEffect(() => {
    if (!loaded) return;
    let current = true;
    const timer = setTimeout(() => {
      const document = currentDocument() as unknown as Record<string, unknown>;
      mutate
        .current(document)
        .then((result) => {
          if (!current) return;
          useEditorStore.getState().setIssues(result.issues);
          setFailure(null);
        })
        .catch((error: unknown) => current && setFailure(errorMessage(error)))
        .finally(() => current && setCheckedRevision(revision));
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [revision, loaded]);

  return { checking: checkedRevision !== revision, failure };
}
