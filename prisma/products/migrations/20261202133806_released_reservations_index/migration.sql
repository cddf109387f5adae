-- CreateIndex
CREATE INDEX "stock_reservations_status_released_at_idx" ON "stock_reservations"("status", "released_at");
