-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "stock_released_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "orders_status_stock_released_at_idx" ON "orders"("status", "stock_released_at");
