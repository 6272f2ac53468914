import { Fragment } from "react";

/** An entity like `pod/shop/cart-7d9f8b6c5-x2b4k`, allowed to wrap after each slash. */
export function EntityText({ entity, className }: { entity: string; className?: string }) {
  const parts = entity.split("/");
  return (
    <code className={`entity${className ? ` ${className}` : ""}`} title={entity}>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {p}
          {i < parts.length - 1 ? (
            <>
              /<wbr />
            </>
          ) : null}
        </Fragment>
      ))}
    </code>
  );
}
